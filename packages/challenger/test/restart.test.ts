/**
 * The challenger as a separate process (`src/main.ts` with a JSON config), killed with SIGKILL in the middle of its
 * game and restarted on the same data directory: it resumes from its Store and its verified trace copy, plays the
 * game on from the chain's position, wins, and has paid exactly one bond. The game is made interactive
 * (`maxCallsPerTx: 1`: one move per transaction) so that the kill lands between moves. Also checks the metrics
 * endpoint of the process and its graceful stop on SIGTERM.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runTrainer, GameStatus, type TrainerHandle } from "@refereed/trainer";
import { AWARD, TERMS, freePort, makeSpec, testLogger, until, type Chain, useChain } from "../../trainer/test/fixtures.js";
import { botBase, killAllBots, startBot, writeConfig } from "../../trainer/test/procs.js";

let chain: Chain;
const tmp = useChain("restart", (c) => (chain = c), killAllBots);

describe("challenger process: kill -9 mid-game and restart", () => {
  it("resumes its game, wins, and pays one bond", async () => {
    let trainer: TrainerHandle | undefined;
    try {
      const requester = await chain.account();
      const trainerAcct = await chain.account();
      const { privateKey: key, account: challenger } = await chain.keyedAccount();
      const vrfSeed = new Uint8Array(32).fill(31);
      const spec = makeSpec(vrfSeed, 3, 31);
      const jobId = await chain.createJob(requester, spec);
      const metricsPort = await freePort();
      const config = writeConfig(join(tmp.dir, "challenger.json"), {
        ...botBase(tmp.dir, chain.url),
        key: { privateKey: key },
        dataDir: join(tmp.dir, "challenger-state"),
        audit: "full",
        jobIds: [jobId.toString()],
        maxCallsPerTx: 1,
        metricsPort,
      });
      let proc = startBot("challenger", config);
      await proc.ready();
      trainer = await runTrainer({
        rpcUrl: chain.url,
        deployment: chain.deployment,
        account: trainerAcct,
        vrfSeed,
        spec,
        jobId,
        attack: "activation-tamper",
        attackStep: 1,
        dataDir: join(tmp.dir, "trainer"),
        traceServer: { port: await freePort() },
        confirmations: 1,
        pollIntervalMs: 100,
        tickMs: 150,
        logger: await testLogger("restart-trainer"),
      });
      // kill -9 right after its first move following the opening
      const gameId = BigInt((await proc.waitFor("game opened")).gameId as string);
      await proc.waitFor("walk sent");
      assert.deepEqual(await proc.kill("SIGKILL"), { code: null, signal: "SIGKILL" }, "killed by a signal");
      const mid = await chain.read<{ status: number }>("getGame", [gameId]);
      assert.equal(Number(mid.status), GameStatus.InProgress, "killed mid-game");

      proc = startBot("challenger", config);
      await until("the restarted challenger won", async () => Number((await chain.read<{ status: number }>("getGame", [gameId])).status) === GameStatus.ChallengerWon, 90_000);
      assert.ok(proc.line("follower resumes from its saved cursor"), "resumed from its store");
      const opened = await chain.publicClient.getContractEvents({
        address: chain.deployment.contracts.Refereed.address,
        abi: (await import("@refereed/client")).loadArtifact("Refereed").abi,
        eventName: "GameOpened",
        args: { challenger: challenger.address },
        fromBlock: 0n,
      });
      assert.equal(opened.length, 1, "one game, one bond");
      await until("its bond and half the trainer's withdrawn", async () => (await chain.withdrawn(challenger.address)) === TERMS.challengerBond + AWARD);
      const metrics = await until("metrics show the win and no credit left", async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return /refereed_challenger_games_won_total 1\n/.test(text) && /refereed_challenger_credits_wei 0\n/.test(text) ? text : null;
      });
      assert.match(metrics, /refereed_challenger_games_open 0/);
      assert.deepEqual(await proc.kill("SIGTERM"), { code: 0, signal: null }, "graceful stop on SIGTERM");
    } finally {
      await trainer?.stop();
    }
  });
});
