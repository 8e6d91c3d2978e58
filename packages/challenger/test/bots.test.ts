/**
 * Both daemons against a real `hardhat node` (JSON-RPC on 127.0.0.1), with real training (784-16-10 MLP with BLS-VRF
 * dropout on 64 MNIST digits), real traces served over HTTP, real audits and the full one-step verifier:
 *
 * - an honest trainer with a challenger running: the challenger audits every rollup clean and opens nothing; after
 *   the window the trainer finalizes its rollups, the job completes, and it withdraws the reward and its bond;
 * - a cheating trainer (activation tamper at step 1): the challenger finds it, confirms it with an eth_call of the
 *   verifier, opens a game and walks it to the step in one multicall; the trainer is slashed, the job is dead, the
 *   challenger withdraws its bond and the trainer's.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runTrainer, GameStatus, JobStatus, RollupStatus, type TrainerHandle } from "@refereed/trainer";
import { runChallenger, type ChallengerHandle } from "../src/index.js";
import { AWARD, REWARD, TERMS, freePort, makeSpec, testLogger, until, type Chain, useChain, type JobStateTuple } from "../../trainer/test/fixtures.js";

let chain: Chain;
const tmp = useChain("bots", (c) => (chain = c));

const FAST = { confirmations: 1, pollIntervalMs: 100, tickMs: 150, txTimeoutMs: 30_000 } as const;

async function startBots(opts: { label: string; attack?: "none" | "activation-tamper"; steps: number; seed: number }) {
  const requester = await chain.account();
  const trainerAcct = await chain.account();
  const challengerAcct = await chain.account();
  const vrfSeed = new Uint8Array(32).fill(opts.seed);
  const spec = makeSpec(vrfSeed, opts.steps, opts.seed);
  const jobId = await chain.createJob(requester, spec);
  const trainer = await runTrainer({
    ...FAST,
    rpcUrl: chain.url,
    deployment: chain.deployment,
    account: trainerAcct,
    vrfSeed,
    spec,
    jobId,
    attack: opts.attack ?? "none",
    attackStep: 1,
    dataDir: join(tmp.dir, `${opts.label}-trainer`),
    traceServer: { port: await freePort() },
    logger: await testLogger(`${opts.label}-trainer`),
  });
  const challenger = await runChallenger({
    ...FAST,
    rpcUrl: chain.url,
    deployment: chain.deployment,
    account: challengerAcct,
    dataDir: join(tmp.dir, `${opts.label}-challenger`),
    jobIds: [jobId],
    logger: await testLogger(`${opts.label}-challenger`),
  });
  return { jobId, trainer, challenger, trainerAcct, challengerAcct };
}


describe("trainer and challenger daemons on a hardhat node", () => {
  it("an honest trainer's rollups are audited clean (full and sampled), finalize after the window, and it is paid", async () => {
    let t: TrainerHandle | undefined;
    let c: ChallengerHandle | undefined;
    let sampled: ChallengerHandle | undefined;
    try {
      const b = await startBots({ label: "honest", steps: 6, seed: 11 });
      t = b.trainer;
      c = b.challenger;
      const rollups = Math.ceil(6 / Number(TERMS.rollupSteps));
      await until("both rollups submitted", async () => (await chain.read<JobStateTuple>("jobState", [b.jobId]))[2] === BigInt(rollups));
      await until("the challenger audited both rollups", () => c!.status().rollups.filter((r) => r.jobId === b.jobId.toString() && r.status === "clean").length === rollups);
      for (const r of c.status().rollups) assert.deepEqual(r.unverified, [], `rollup ${r.rollupId} fully verified`);
      // a second challenger at the same time, auditing a sample (2 of each rollup's 3 iterations)
      sampled = await runChallenger({ ...FAST, rpcUrl: chain.url, deployment: chain.deployment, account: await chain.account(), dataDir: join(tmp.dir, "honest-sampled"), auditMode: "sampled", sampleFraction: 0.5, jobIds: [b.jobId], logger: await testLogger("honest-sampled") });
      await until("the sampling challenger audited both rollups", () => sampled!.status().rollups.filter((r) => r.status === "clean").length === rollups);
      for (const r of sampled.status().rollups) assert.equal(r.audited?.length, 2, `rollup ${r.rollupId}: ${JSON.stringify(r.audited)}`);
      assert.equal(sampled.state.games().length, 0);
      assert.equal(c.status().gamesOpen + c.status().gamesWon + c.status().gamesLost, 0, "no game opened against an honest trainer");
      await chain.advance(Number(TERMS.challengeWindow) + 1);
      await until("job completed", async () => (await chain.read<JobStateTuple>("jobState", [b.jobId]))[0] === JobStatus.Completed);
      await until("the trainer withdrew the reward and its bond", async () => (await chain.withdrawn(b.trainerAcct.address)) === REWARD + TERMS.trainerBond);
      assert.equal(await chain.read<bigint>("credits", [b.trainerAcct.address]), 0n);
      assert.ok(t.status().rollups.every((r) => r.status === "finalized"), JSON.stringify(t.status().rollups.map((r) => r.status)));
      const text = await t.metrics.bot.text();
      assert.match(text, new RegExp(`refereed_trainer_rollups_finalized_total ${rollups}`));
      assert.match(await c.metrics.bot.text(), new RegExp(`refereed_challenger_audits_total\\{result="clean"\\} ${rollups}`));
    } finally {
      await t?.stop();
      await c?.stop();
      await sampled?.stop();
    }
  });

  it("a corrupted iteration on the trace server is detected, reported and never trusted: no game from it", async () => {
    let t: TrainerHandle | undefined;
    let c: ChallengerHandle | undefined;
    try {
      const requester = await chain.account();
      const vrfSeed = new Uint8Array(32).fill(13);
      const spec = makeSpec(vrfSeed, 3, 13);
      const jobId = await chain.createJob(requester, spec);
      const dataDir = join(tmp.dir, "corrupt-trainer");
      t = await runTrainer({
        ...FAST,
        rpcUrl: chain.url,
        deployment: chain.deployment,
        account: await chain.account(),
        vrfSeed,
        spec,
        jobId,
        attack: "activation-tamper",
        attackStep: 1,
        dataDir,
        traceServer: { port: await freePort() },
        logger: await testLogger("corrupt-trainer"),
      });
      await until("the rollup submitted", async () => (await chain.read<JobStateTuple>("jobState", [jobId]))[2] === 1n);
      // flip one bit of the tensor data of iteration 1 (the cheat's) on the server's disk, after publication
      const file = join(dataDir, "traces", `job${jobId}-r0`, "iter-000000001.bin");
      const bytes = readFileSync(file);
      bytes[bytes.length - 100]! ^= 0x01;
      writeFileSync(file, bytes);
      c = await runChallenger({ ...FAST, rpcUrl: chain.url, deployment: chain.deployment, account: await chain.account(), dataDir: join(tmp.dir, "corrupt-challenger"), jobIds: [jobId], logger: await testLogger("corrupt-challenger") });
      const r = await until("the rollup audited", () => c!.status().rollups.find((x) => x.jobId === jobId.toString() && x.status !== "new"));
      assert.deepEqual(r.unverified, [1], "iteration 1 failed its integrity check");
      assert.equal(r.status, "clean", "what verified (iteration 0) is clean; iteration 2 needs iteration 1 and is not audited either");
      assert.deepEqual(r.audited, [0]);
      assert.match(r.detail ?? "", /unverified/);
      assert.equal(c.state.games().length, 0, "no game opened from unverified data");
      assert.match(await c.metrics.bot.text(), /refereed_challenger_trace_integrity_failures_total [1-9]/);
    } finally {
      await t?.stop();
      await c?.stop();
    }
  });

  it("a cheating trainer (activation tamper) is caught in one walk and slashed; the challenger is paid", async () => {
    let t: TrainerHandle | undefined;
    let c: ChallengerHandle | undefined;
    try {
      const b = await startBots({ label: "cheat", attack: "activation-tamper", steps: 6, seed: 12 });
      t = b.trainer;
      c = b.challenger;
      const rollup0 = (b.jobId << 64n) | 0n;
      const game = await until("the challenger opened a game", () => c!.state.games().find((g) => g.rollupId === rollup0.toString()));
      assert.equal(game.target.branch, "graph");
      await until("the challenger won", () => c!.state.game(BigInt(game.gameId))?.status === "won");
      const g = await chain.read<{ status: number }>("getGame", [BigInt(game.gameId)]);
      assert.equal(Number(g.status), GameStatus.ChallengerWon);
      assert.equal(Number(await chain.read<number>("rollupStatus", [rollup0])), RollupStatus.Rejected);
      const js = await chain.read<JobStateTuple>("jobState", [b.jobId]);
      assert.equal(js[0], JobStatus.Dead);
      assert.equal(js[5], true, "trainer slashed");
      await until("the challenger withdrew its bond and half the trainer's", async () => (await chain.withdrawn(b.challengerAcct.address)) === TERMS.challengerBond + AWARD);
      const r0 = c.state.rollup(rollup0)!;
      assert.equal(r0.status, "violation");
      assert.match(r0.detail ?? "", /fc2/, "the audit names the layer reading the tampered activation");
      await until("the trainer saw the lost game", () => t!.status().gamesLost === 1);
      assert.match(await c.metrics.bot.text(), /refereed_challenger_games_won_total 1/);
    } finally {
      await t?.stop();
      await c?.stop();
    }
  });
});
