/**
 * The RPC endpoint goes away and comes back, at bot level: the trainer and the challenger run as separate processes
 * whose only way to the `hardhat node` is a TCP proxy in this test. The trainer cheats (activation tamper at step 1);
 * the challenger plays interactively (`maxCallsPerTx: 1`, one move per transaction). The proxy is cut twice, each
 * time for OUTAGE_MS (every connection destroyed, new ones refused): once as soon as the challenger has seen the
 * cheating rollup (its audit and the opening of its game need the chain), once in the middle of its game. An outage
 * lasts many polling intervals (100 ms) and duty ticks (300 ms) but a small part of the clocks (300 s) and the
 * window (600 s), so what is checked is recovery, not timeouts: the challenger logs each outage, stays up, catches
 * the cheat, wins the game, and the money is exactly right — its bond back plus the trainer's bond, withdrawn, less
 * only gas; the requester refunded the whole reward (and the rest of the bond); the contract holding exactly what it still owes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { GameStatus, JobStatus, RollupStatus } from "@refereed/trainer";
import { AWARD, BOND_REST, REWARD, TERMS, freePort, makeSpec, transactionsFrom, until, type Chain, useChain, type JobStateTuple, FUNDED } from "../../trainer/test/fixtures.js";
import { botBase, killAllBots, startBot, trainerBotConfig, writeConfig, type BotProcess } from "../../trainer/test/procs.js";

const OUTAGE_MS = 4000;
const POLL_MS = 100;
const TICK_MS = 300;

let chain: Chain;
const proxies: Proxy[] = [];
const tmp = useChain("outage", (c) => (chain = c), async () => {
  killAllBots();
  for (const p of proxies) await p.close();
});

interface Proxy {
  readonly url: string;
  /** connections accepted so far, and those held now */
  accepted(): number;
  held(): number;
  /** destroys every connection and stops listening: connections are refused until `up` */
  down(): Promise<void>;
  up(): Promise<void>;
  /** new connections are accepted but not forwarded until `release` */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

/** A TCP proxy to 127.0.0.1:`target` that can be cut and restored on the same port, or made to hold new connections. */
async function tcpProxy(target: number): Promise<Proxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let accepted = 0;
  let holding = false;
  let waiting: (() => void)[] = [];
  const up = async () => {
    if (server) return;
    const s = createServer((client) => {
      accepted++;
      sockets.add(client);
      let upstream: Socket | null = null;
      const drop = () => {
        client.destroy();
        upstream?.destroy();
        sockets.delete(client);
        if (upstream) sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      const connect = () => {
        if (client.destroyed) return;
        upstream = createConnection({ host: "127.0.0.1", port: target });
        sockets.add(upstream);
        upstream.on("error", drop).on("close", drop);
        client.pipe(upstream).pipe(client);
      };
      if (holding) {
        client.pause();
        waiting.push(connect);
      } else connect();
    });
    await new Promise<void>((r) => s.listen(port, "127.0.0.1", r));
    server = s;
  };
  const release = () => {
    holding = false;
    const w = waiting;
    waiting = [];
    for (const connect of w) connect();
  };
  const down = async () => {
    const s = server;
    server = null;
    const closed = s ? new Promise<void>((r) => s.close(() => r())) : Promise.resolve();
    waiting = [];
    for (const c of sockets) c.destroy();
    sockets.clear();
    await closed;
  };
  await up();
  return {
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    held: () => waiting.length,
    up,
    down,
    hold: () => {
      holding = true;
    },
    release,
    close: down,
  };
}


/**
 * Cuts the proxy for OUTAGE_MS, and on until `endWhen()` holds (at most `maxMs`); `during` runs once it is cut. The
 * bots must stay up throughout.
 */
async function outage(proxy: Proxy, bots: readonly BotProcess[], opts: { during?: () => void; endWhen?: () => boolean; maxMs?: number } = {}): Promise<void> {
  await proxy.down();
  const t0 = Date.now();
  opts.during?.();
  const over = () => Date.now() - t0 >= OUTAGE_MS && (!opts.endWhen || opts.endWhen() || Date.now() - t0 >= (opts.maxMs ?? 30_000));
  while (!over()) {
    for (const b of bots) assert.ok(b.alive(), `${b.label} is up during the outage: ${b.stderr().slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await proxy.up();
}

describe("the RPC endpoint goes away and comes back (bots as processes behind a TCP proxy)", () => {
  it("the challenger logs both outages, stays up, catches the cheat and wins; the money is exact", async () => {
    const proxy = await tcpProxy(chain.node.port);
    proxies.push(proxy);
    // the trainer's trace server is reached through a proxy too (its URIs name it), to time the first outage
    const traceServerPort = await freePort();
    const traceProxy = await tcpProxy(traceServerPort);
    proxies.push(traceProxy);
    const requester = await chain.account();
    const [t, c] = [await chain.keyedAccount(), await chain.keyedAccount()];
    const [trainerKey, challengerKey] = [t.privateKey, c.privateKey];
    const [trainer, challenger] = [t.account.address, c.account.address];
    const vrfSeed = new Uint8Array(32).fill(51);
    const spec = makeSpec(vrfSeed, 3, 51);
    const jobId = await chain.createJob(requester, spec);
    const common = botBase(tmp.dir, proxy.url, { pollIntervalMs: POLL_MS, tickMs: TICK_MS });
    const challengerProc = startBot(
      "challenger",
      writeConfig(join(tmp.dir, "challenger.json"), { ...common, key: { privateKey: challengerKey }, dataDir: join(tmp.dir, "challenger"), jobIds: [jobId], maxCallsPerTx: 1 }),
    );
    const trainerProc = startBot(
      "trainer",
      writeConfig(
        join(tmp.dir, "trainer.json"),
        trainerBotConfig(common, {
          privateKey: trainerKey,
          vrfSeed,
          spec,
          jobId,
          attack: { kind: "activation-tamper", step: 1 },
          dataDir: join(tmp.dir, "trainer"),
          traceServer: { port: traceServerPort, publicBaseUrl: traceProxy.url },
        }),
      ),
    );
    const bots = [challengerProc, trainerProc];
    traceProxy.hold();
    await Promise.all(bots.map((b) => b.ready()));

    // outage 1: the cheating rollup is pending and the challenger is auditing it. Its first request for the trace is
    // held until the RPC endpoint is cut: the audit then runs, and wants the chain (the verifier's eth_call), while
    // the endpoint is down.
    await challengerProc.waitFor("rollup submitted", 120_000);
    const rollup0 = jobId << 64n;
    assert.equal(Number(await chain.read<number>("rollupStatus", [rollup0])), RollupStatus.Pending);
    await until("the challenger asked for the trace", () => traceProxy.held() > 0, 60_000, 20);
    const auditErrors = challengerProc.count("audit loop error; retrying");
    await outage(proxy, bots, { during: () => traceProxy.release(), endWhen: () => challengerProc.count("audit loop error; retrying") > auditErrors });
    const failedAudit = challengerProc.lines.filter((l) => l.msg === "audit loop error; retrying")[auditErrors];
    assert.match(String((failedAudit?.err as { message?: string } | undefined)?.message), /eth_call/, "the audit's eth_call of the verifier failed in the outage, and the audit will be retried");
    assert.equal(challengerProc.count("violation not provable on chain, no game"), 0, "an unreachable endpoint is no verdict");
    const recovered = (b: BotProcess) => b.waitFor("RPC endpoint reachable again; resuming", 60_000);
    await Promise.all(bots.map(recovered));

    // outage 2: mid-game, after the challenger's first move
    const gameId = BigInt((await challengerProc.waitFor("game opened", 60_000)).gameId as string);
    await challengerProc.waitFor("walk sent");
    const atCut = await chain.read<{ status: number }>("getGame", [gameId]);
    assert.equal(Number(atCut.status), GameStatus.InProgress, "cut mid-game");
    await outage(proxy, bots);

    await until("the challenger won", async () => Number((await chain.read<{ status: number }>("getGame", [gameId])).status) === GameStatus.ChallengerWon, 120_000);
    await until("the challenger withdrew its bond and half the trainer's", async () => (await chain.withdrawn(challenger)) === TERMS.challengerBond + AWARD, 60_000);
    await challengerProc.waitFor((l) => l.msg === "game resolved" && l.gameId === gameId.toString() && l.outcome === "challenger won");

    // both outages were seen and logged by the challenger, which stayed up; the trainer too
    for (const b of bots) {
      assert.ok(b.alive(), `${b.label} still running`);
      await until(`${b.label}'s follower back after the second outage`, () => b.count("RPC endpoint reachable again; resuming") >= 2, 30_000);
      const downs = b.count("RPC endpoint unreachable; retrying with backoff");
      const ups = b.lines.filter((l) => l.msg === "RPC endpoint reachable again; resuming");
      // (the logged durations run from the first failed request, which a busy machine may send late)
      assert.ok(downs >= 2 && ups.length >= 2, `${b.label} logged both outages (${downs} down, ${ups.length} up: ${ups.map((l) => l.downForMs).join(", ")} ms)`);
    }
    assert.ok(challengerProc.count("duty tick failed (RPC?); retrying") >= 1, "the duty loop met the outage and went on");
    assert.ok(proxy.accepted() > 0);

    // the cheat caught and paid for, exactly
    const js = await chain.read<JobStateTuple>("jobState", [jobId]);
    assert.equal(js[0], JobStatus.Dead);
    assert.equal(js[5], true, "trainer slashed");
    assert.equal(Number(await chain.read<number>("rollupStatus", [rollup0])), RollupStatus.Rejected);
    const sent = await transactionsFrom(chain, challenger);
    // a move may lose a race to the trainer's same reveal (NotYourTurn, gas only); opening and withdrawing may not fail
    assert.deepEqual(sent.filter((t) => !t.success && (t.functionName === "openGame" || t.functionName === "withdraw")), [], "no failed opening or withdrawal");
    assert.equal(sent.filter((t) => t.functionName === "openGame").length, 1, "one game, one bond");
    assert.equal(sent.filter((t) => t.functionName === "withdraw").length, 1);
    const fees = sent.reduce((s, t) => s + t.fee, 0n);
    assert.equal(await chain.publicClient.getBalance({ address: challenger }), FUNDED - fees + AWARD, "its bond back and half the trainer's, less gas");
    assert.equal(await chain.read<bigint>("credits", [challenger]), 0n);
    assert.equal(await chain.read<bigint>("credits", [trainer]), 0n, "the trainer earned nothing");
    assert.equal(await chain.withdrawn(trainer), 0n);
    assert.equal(await chain.read<bigint>("credits", [requester.address]), REWARD + BOND_REST, "the requester: the whole reward back + the rest of the bond");
    const balance = await chain.publicClient.getBalance({ address: chain.deployment.contracts.Refereed.address });
    assert.equal(balance, await chain.read<bigint>("totalOwed"));
    assert.equal(balance, REWARD + BOND_REST, "the contract holds exactly the requester's unclaimed credit");

    for (const b of bots) assert.deepEqual(await b.kill("SIGTERM"), { code: 0, signal: null }, `${b.label}: graceful stop on SIGTERM`);
  });
});
