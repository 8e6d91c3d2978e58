/**
 * Two challengers race for one cheating rollup: two challenger processes (separate keys, separate data directories)
 * and a cheating trainer process (activation tamper at step 1) on one `hardhat node`. Mining is paused from the
 * rollup's submission until both challengers have audited it and sent their `openGame`, so both games open in the
 * same block — the race as it happens on a chain with block times; A's transaction is first in the block. Challenger
 * A plays interactively (one move per transaction), B walks its game in one multicall, so B's game ends first — its
 * win slashes the trainer — and A's goes on against a rollup already rejected. Per docs/GAME.md §6 both win and get
 * their bonds back, the trainer is slashed once, and its bond goes to the earliest-opened winning game (A's, not the
 * first to win), paid when no game against the rollup is open any more. Checked on chain: the slashing, exactly one
 * award of the trainer's bond, to A, each challenger's balance to the wei (less only its gas), both withdrawals, and
 * the contract holding exactly what it still owes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Address } from "viem";
import { loadArtifact } from "@refereed/client";
import { GameStatus, JobStatus, RollupStatus } from "@refereed/trainer";
import { AWARD, BOND_REST, REWARD, TERMS, freePort, makeSpec, transactionsFrom, until, type Chain, useChain, type JobStateTuple, FUNDED } from "../../trainer/test/fixtures.js";
import { botBase, killAllBots, startBot, trainerBotConfig, writeConfig, type BotProcess, type LogLine } from "../../trainer/test/procs.js";

let chain: Chain;
const tmp = useChain("race", (c) => (chain = c), async (c) => {
  killAllBots();
  await c.node.rpc("evm_setAutomine", [true]).catch(() => undefined);
});

const CREDIT_REASON_TRAINER_BOND_AWARDED = 3;

describe("two challenger processes race for one cheating rollup", () => {
  it("both open in one block and win; the trainer is slashed once and its bond goes to the earliest game", async () => {
    const requester = await chain.account();
    const accounts = { trainer: await chain.keyedAccount(), a: await chain.keyedAccount(), b: await chain.keyedAccount() };
    const keys = { trainer: accounts.trainer.privateKey, a: accounts.a.privateKey, b: accounts.b.privateKey };
    const addr = { trainer: accounts.trainer.account.address, a: accounts.a.account.address, b: accounts.b.account.address };
    const vrfSeed = new Uint8Array(32).fill(61);
    const spec = makeSpec(vrfSeed, 3, 61);
    const jobId = await chain.createJob(requester, spec);
    const rollup0 = jobId << 64n;
    const common = botBase(tmp.dir, chain.url);
    const trainer = startBot(
      "trainer",
      writeConfig(
        join(tmp.dir, "trainer.json"),
        trainerBotConfig(common, {
          privateKey: keys.trainer,
          vrfSeed,
          spec,
          jobId,
          attack: { kind: "activation-tamper", step: 1 },
          dataDir: join(tmp.dir, "trainer"),
          traceServer: { port: await freePort() },
        }),
      ),
    );
    await trainer.ready();
    await until("the cheating rollup submitted", async () => (await chain.read<JobStateTuple>("jobState", [jobId]))[2] === 1n, 120_000);
    await chain.node.rpc("evm_setAutomine", [false]);

    const challenger = (label: "a" | "b", extra: Record<string, unknown>) =>
      startBot("challenger", writeConfig(join(tmp.dir, `challenger-${label}.json`), { ...common, name: `challenger-${label}`, key: { privateKey: keys[label] }, dataDir: join(tmp.dir, `challenger-${label}`), jobIds: [jobId], ...extra }), `challenger-${label}`);
    // A's openGame reaches the pool first (B starts once it is there): the block orders equal-fee transactions by
    // arrival, so A's game is the earliest-opened, and B's, which ends first, is not
    const openSent = (l: LogLine) => l.msg === "transaction sent" && l.key === `challenger:open:${rollup0}`;
    const a = challenger("a", { maxCallsPerTx: 1 });
    await a.waitFor(openSent, 120_000);
    const b = challenger("b", {});
    await b.waitFor(openSent, 120_000);
    const both: readonly BotProcess[] = [a, b];
    for (const c of both) assert.ok(c.line((l) => typeof l.msg === "string" && l.msg.startsWith("VIOLATION confirmed by the verifier")), `${c.label} audited and found the cheat`);
    await chain.node.rpc("evm_setAutomine", [true]);
    await chain.node.rpc("evm_mine", []);

    // both games opened in one block; both are won
    const refereed = { address: chain.deployment.contracts.Refereed.address, abi: loadArtifact("Refereed").abi };
    type Opened = { blockNumber: bigint; args: { gameId: bigint; challenger: Address; rollupId: bigint } };
    const opened = (await chain.publicClient.getContractEvents({ ...refereed, eventName: "GameOpened", fromBlock: 0n })) as unknown as Opened[];
    assert.equal(opened.length, 2, "two games");
    assert.equal(opened[0]!.blockNumber, opened[1]!.blockNumber, "opened in the same block");
    assert.deepEqual(new Set(opened.map((o) => o.args.challenger.toLowerCase())), new Set([addr.a.toLowerCase(), addr.b.toLowerCase()]), "one game each");
    const gameOf = (who: Address) => opened.find((o) => o.args.challenger.toLowerCase() === who.toLowerCase())!.args.gameId;
    const games = { a: gameOf(addr.a), b: gameOf(addr.b) };
    assert.ok(games.a < games.b, `A's game is the earliest-opened (games ${games.a}, ${games.b})`);
    // won and settled (a walk that reaches the step ends with resolve, or the challenger resolves next tick)
    const wonAndSettled = async (g: bigint) => {
      const s = await chain.read<{ status: number; resolved: boolean }>("getGame", [g]);
      return Number(s.status) === GameStatus.ChallengerWon && s.resolved;
    };
    await until("B's game won and resolved", () => wonAndSettled(games.b), 60_000);
    await until("A's game won and resolved", () => wonAndSettled(games.a), 90_000);
    const resolvedAt = async (g: bigint) =>
      ((await chain.publicClient.getContractEvents({ ...refereed, eventName: "GameResolved", args: { gameId: g }, fromBlock: 0n })) as unknown as { blockNumber: bigint }[])[0]!.blockNumber;
    assert.ok((await resolvedAt(games.b)) < (await resolvedAt(games.a)), "B's game ended first (and slashed the trainer); A's went on against the rejected rollup");
    assert.ok(a.count("walk sent") >= 4, `A played interactively (${a.count("walk sent")} walks)`);

    // the trainer slashed once (by B's win); its bond awarded once, to the earliest-opened game's challenger: A
    const js = await chain.read<JobStateTuple>("jobState", [jobId]);
    assert.equal(js[0], JobStatus.Dead);
    assert.equal(js[5], true, "trainer slashed");
    assert.equal(Number(await chain.read<number>("rollupStatus", [rollup0])), RollupStatus.Rejected);
    const credited = (await chain.publicClient.getContractEvents({ ...refereed, eventName: "Credited", fromBlock: 0n })) as unknown as { args: { account: Address; amount: bigint; reason: number } }[];
    const awards = credited.filter((c) => Number(c.args.reason) === CREDIT_REASON_TRAINER_BOND_AWARDED);
    assert.equal(awards.length, 1, "the trainer's bond is awarded once");
    assert.equal(awards[0]!.args.account.toLowerCase(), addr.a.toLowerCase(), "to A, whose game opened first, not to B, whose game won first");
    assert.equal(awards[0]!.args.amount, AWARD);

    // each challenger withdraws what it is owed and loses nothing but gas
    const owed = { a: TERMS.challengerBond + AWARD, b: TERMS.challengerBond };
    for (const who of ["a", "b"] as const) {
      await until(`challenger ${who} withdrew what it is owed`, async () => (await chain.withdrawn(addr[who])) === owed[who], 60_000);
    }
    await new Promise((r) => setTimeout(r, 1000)); // a withdrawal of nothing (it would revert) would be sent within a few ticks
    for (const who of ["a", "b"] as const) {
      const sent = await transactionsFrom(chain, addr[who]);
      // a move may lose a race to the trainer's same reveal (NotYourTurn, gas only); opening and withdrawing may not fail
      assert.deepEqual(sent.filter((t) => !t.success && (t.functionName === "openGame" || t.functionName === "withdraw")), [], `${who}: no failed opening or withdrawal`);
      assert.equal(sent.filter((t) => t.functionName === "openGame").length, 1, `${who}: one game, one bond`);
      // each is credited once, when its game ends (A: its bond and the trainer's, as no game is open any more)
      assert.equal(sent.filter((t) => t.functionName === "withdraw").length, 1, `${who}: one withdrawal`);
      const fees = sent.reduce((s, t) => s + t.fee, 0n);
      assert.equal(await chain.publicClient.getBalance({ address: addr[who] }), FUNDED - fees + owed[who] - TERMS.challengerBond, `${who}: bond back${who === "a" ? " and the trainer's" : ""}, less gas`);
      assert.equal(await chain.read<bigint>("credits", [addr[who]]), 0n);
    }
    assert.equal(await chain.read<bigint>("credits", [addr.trainer]), 0n);
    assert.equal(await chain.withdrawn(addr.trainer), 0n, "the trainer earned nothing");

    // the contract holds exactly what it still owes: the requester's refund of the whole reward and the rest of the bond
    const credits = await Promise.all([requester.address, addr.trainer, addr.a, addr.b].map((x) => chain.read<bigint>("credits", [x])));
    assert.deepEqual(credits, [REWARD + BOND_REST, 0n, 0n, 0n]);
    const balance = await chain.publicClient.getBalance({ address: refereed.address });
    assert.equal(balance, await chain.read<bigint>("totalOwed"));
    assert.equal(balance, credits.reduce((s, c) => s + c, 0n));

    for (const c of [a, b, trainer]) assert.deepEqual(await c.kill("SIGTERM"), { code: 0, signal: null }, `${c.label}: graceful stop on SIGTERM`);
  });
});
