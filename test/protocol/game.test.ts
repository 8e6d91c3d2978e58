/**
 * The dispute game on the in-process chain with real commitments (@refereed/core trees over a PARAM/RELU template):
 * honest trainers win whatever the challenger picks, cheaters are caught and slashed, clocks decide silent sides,
 * several challengers, the direct dispute, and the money that moves at each outcome.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { encodeFunctionData } from "viem";
import {
  DEFAULT_JOB,
  GameStatus,
  Harness,
  JobStatus,
  RollupStatus,
  Side,
  Trace,
  directDisputeCalls,
  fraudFinder,
  jobParams,
  randomChooser,
  scriptedChooser,
  toyParams,
  toyTemplate,
  trainerBondAward,
} from "./helpers.js";

const conn = await network.create();
const { networkHelpers } = conn;

const template = toyTemplate();
const params = toyParams(template);
const honestTrace = () => new Trace({ template, params, stepsTotal: 12, rollupSteps: 5 });
/** Rollup 1, iteration 2: node 1 (RELU of PARAM A) element 7 set to 42.5 (honest values are in [0, 2)). */
const TAMPER = { rollup: 1, iteration: 2, node: 1, element: 7, value: 42.5 } as const;
const tamperedTrace = () => new Trace({ template, params, stepsTotal: 12, rollupSteps: 5, tamper: TAMPER });

const { challengerBond: CB, trainerBond: TB, reward: REWARD } = DEFAULT_JOB;
/** the winner's half of the trainer's bond, and the requester's rest */
const AWARD = trainerBondAward(TB);
const TB_REST = TB - AWARD;

async function assertSolvent(h: Harness) {
  const { balance, owed } = await h.solvency();
  assert.equal(balance, owed, `balance ${balance} != owed ${owed}`);
  assert.equal(
    owed,
    (await h.refereed.read.totalEscrow()) + (await h.refereed.read.totalBonds()) + (await h.refereed.read.totalCredits()),
  );
}

async function passWindow(h: Harness) {
  await networkHelpers.time.increase(Number(h.cfg.challengeWindow) + 1);
}

async function finalizeAll(h: Harness) {
  for (let r = 0; r < h.trace.rollups.length; r++) {
    await h.sent(h.refereed.write.finalizeRollup([h.rollupId(r)], { account: h.anyone.account }));
  }
}

describe("an honest trainer", () => {
  it("wins every game, whatever real children the challenger picks", async () => {
    const h = await Harness.create(conn, honestTrace());
    await h.setupJob();
    await h.submit();
    const games: [number, number][] = [
      [0, 11],
      [0, 12],
      [1, 13],
      [1, 14],
      [2, 15],
      [2, 16],
    ];
    for (const [r, seed] of games) {
      const { gameId } = await h.openGame(r, seed % 2 ? h.alice : h.bob);
      const res = await h.play(gameId, r, randomChooser(seed), seed % 2 ? h.alice : h.bob);
      assert.equal(res.status, GameStatus.TrainerWon, `game on rollup ${r} with seed ${seed}`);
      await assertSolvent(h);
    }
    assert.equal(await h.credit(h.trainer), BigInt(games.length) * CB);
    await passWindow(h);
    await finalizeAll(h);
    const [status] = await h.refereed.read.jobState([h.jobId]);
    assert.equal(status, JobStatus.Completed);
    assert.equal(await h.credit(h.trainer), REWARD + TB + BigInt(games.length) * CB);
    assert.equal(await h.credit(h.alice), 0n);
    assert.equal(await h.refereed.read.totalEscrow(), 0n);
    assert.equal(await h.refereed.read.totalBonds(), 0n);
    await assertSolvent(h);
  });

  // [rollup, [iteration, node, chunk?], element]: every link the V0 verifier adjudicates.
  const paths: [string, number, number[], number][] = [
    ["PARAM linked to the rollup's start state (iteration 0), a subnormal element", 0, [0, 0, 0], 3],
    ["PARAM linked to the previous iteration's update node, in the short last chunk", 0, [2, 0, 1], 10],
    ["PARAM that is its own update node, linked to the end state in the last iteration", 0, [4, 2], 4],
    ["RELU of a RELU, last element of the last rollup (2 iterations)", 2, [1, 4, 1], 43],
    ["RELU of a 5-element PARAM (single-chunk tensor: no tensor choice)", 1, [3, 3], 0],
    ["RELU of -0 (node 1, element 1)", 1, [0, 1, 0], 1],
  ];
  for (const [name, r, children, element] of paths) {
    it(`wins on a deliberately chosen path: ${name}`, async () => {
      const h = await Harness.create(conn, honestTrace());
      await h.setupJob();
      await h.submit();
      const { gameId } = await h.openGame(r);
      const res = await h.play(gameId, r, scriptedChooser(children, element));
      assert.equal(res.status, GameStatus.TrainerWon);
      const g = await h.game(gameId);
      assert.equal(g.iteration, children[0]);
      assert.equal(g.nodeId, children[1]);
      assert.equal(await h.credit(h.trainer), CB);
      await assertSolvent(h);
    });
  }
});

describe("a cheating trainer", () => {
  it("with a tampered RELU output is found by bisection, slashed, and its job dies from that rollup", async () => {
    const h = await Harness.create(conn, tamperedTrace());
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(1);
    const res = await h.play(gameId, 1, fraudFinder(honestTrace(), 1));
    assert.equal(res.status, GameStatus.ChallengerWon);
    const g = await h.game(gameId);
    assert.deepEqual([g.iteration, g.nodeId, g.element], [TAMPER.iteration, TAMPER.node, TAMPER.element]);
    assert.equal(await h.refereed.read.rollupStatus([h.rollupId(0)]), RollupStatus.Pending);
    assert.equal(await h.refereed.read.rollupStatus([h.rollupId(1)]), RollupStatus.Rejected);
    assert.equal(await h.refereed.read.rollupStatus([h.rollupId(2)]), RollupStatus.Rejected);
    const [status, , , , deadFrom, slashed] = await h.refereed.read.jobState([h.jobId]);
    assert.equal(status, JobStatus.Dead);
    assert.equal(deadFrom, 1n);
    assert.equal(slashed, true);
    // Challenger: its bond back + half the trainer's bond. Requester: the reward of rollups 1 and 2 (7 of 12 steps)
    // + the other half of the bond.
    assert.equal(await h.credit(h.alice), CB + AWARD);
    assert.equal(await h.credit(h.requester), REWARD - (REWARD * 5n) / 12n + TB_REST);
    // Rollup 0 was honest and still finalizes; nothing after it does, and no game opens on a rejected rollup.
    await passWindow(h);
    await h.sent(h.refereed.write.finalizeRollup([h.rollupId(0)]));
    assert.equal(await h.credit(h.trainer), (REWARD * 5n) / 12n);
    await conn.viem.assertions.revertWithCustomErrorWithArgs(
      h.refereed.write.finalizeRollup([h.rollupId(2)]),
      h.refereed,
      "RollupNotPending",
      [h.rollupId(2), RollupStatus.Rejected],
    );
    assert.equal(await h.refereed.read.totalEscrow(), 0n);
    assert.equal(await h.refereed.read.totalBonds(), 0n);
    await assertSolvent(h);
  });

  it("wins a game whose challenger disputes a node that is consistent with the tampered input (the check is local)", async () => {
    const h = await Harness.create(conn, tamperedTrace());
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(1);
    // Node 4 = RELU(node 1): 42.5 in, 42.5 out. Wrong on the whole, right locally.
    const res = await h.play(gameId, 1, scriptedChooser([TAMPER.iteration, 4, 0], TAMPER.element));
    assert.equal(res.status, GameStatus.TrainerWon);
    assert.equal(await h.credit(h.trainer), CB);
    await assertSolvent(h);
  });

  it("with a wrong end state is caught through the PARAM end-state link", async () => {
    const trace = new Trace({
      template,
      params,
      stepsTotal: 12,
      rollupSteps: 5,
      endTamper: { rollup: 0, param: 1, element: 2, value: 9 },
    });
    const h = await Harness.create(conn, trace);
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(0);
    const res = await h.play(gameId, 0, scriptedChooser([4, 2], 2));
    assert.equal(res.status, GameStatus.ChallengerWon);
    assert.equal(await h.refereed.read.rollupStatus([h.rollupId(0)]), RollupStatus.Rejected);
    assert.equal(await h.credit(h.requester), REWARD + TB_REST);
    await assertSolvent(h);
  });
});

describe("clocks", () => {
  it("a silent trainer loses on its clock, exactly one second after its budget", async () => {
    const h = await Harness.create(conn, honestTrace());
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(0);
    const g = await h.game(gameId);
    const deadline = g.lastMove + g.trainerLeft;
    await conn.viem.assertions.revertWithCustomError(h.refereed.write.timeout([gameId]), h.refereed, "ClockNotExpired");
    // At exactly the budget, the trainer may still move and nobody may time it out.
    await networkHelpers.time.setNextBlockTimestamp(deadline);
    await conn.viem.assertions.revertWithCustomErrorWithArgs(
      h.refereed.write.timeout([gameId], { account: h.anyone.account }),
      h.refereed,
      "ClockNotExpired",
      [gameId, Side.Trainer, 0n],
    );
    await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
    await conn.viem.assertions.revertWithCustomErrorWithArgs(
      h.trainerMove(gameId, 0).then((s) => s.hash),
      h.refereed,
      "ClockExpired",
      [gameId, 1n],
    );
    const decided = await h.sent(h.refereed.write.timeout([gameId], { account: h.anyone.account }));
    assert.deepEqual(decided.logs.map((l) => l.eventName), ["TimedOut", "GameDecided"], "the verdict alone: no money, no rejection");
    const after = await h.game(gameId);
    assert.equal(after.status, GameStatus.ChallengerWon);
    assert.equal(after.trainerLeft, 0n);
    // The timeout only decides (ADR 0010): no money moves and the rollup waits until someone resolves the game.
    assert.equal(after.resolved, false);
    assert.equal(await h.credit(h.alice), 0n);
    assert.equal(await h.refereed.read.rollupStatus([h.rollupId(0)]), RollupStatus.Pending);
    const settled = await h.resolve(gameId);
    assert.deepEqual(
      settled.logs.filter((l) => l.eventName === "GameResolved").map((l) => [l.args.gameId, l.args.outcome]),
      [[gameId, GameStatus.ChallengerWon]],
    );
    assert.deepEqual(
      [...new Set(settled.logs.map((l) => l.eventName))].sort(),
      ["Credited", "GameResolved", "JobTerminated", "RollupRejected"],
      "the money and the rejection move at resolve",
    );
    assert.equal((await h.game(gameId)).resolved, true);
    assert.equal(await h.refereed.read.rollupStatus([h.rollupId(0)]), RollupStatus.Rejected);
    assert.equal(await h.credit(h.alice), CB + AWARD);
    assert.equal(await h.credit(h.requester), REWARD + TB_REST);
    await assertSolvent(h);
  });

  it("a frivolous challenger that stops choosing loses its bond to the trainer", async () => {
    const h = await Harness.create(conn, honestTrace());
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(2);
    await h.trainerMove(gameId, 2);
    assert.equal(await h.refereed.read.sideToMove([gameId]), Side.Challenger);
    await networkHelpers.time.increase(Number(DEFAULT_JOB.challengerClock) + 1);
    await h.sent(h.refereed.write.timeout([gameId], { account: h.trainer.account }));
    assert.equal((await h.game(gameId)).status, GameStatus.TrainerWon);
    assert.equal(await h.credit(h.trainer), 0n, "the bond moves at resolve");
    await h.resolve(gameId, h.trainer);
    assert.equal(await h.credit(h.trainer), CB);
    assert.equal(await h.credit(h.alice), 0n);
    await assertSolvent(h);
  });

  it("charges the waiting time to the side to move only, and never runs backwards", async () => {
    const h = await Harness.create(conn, honestTrace());
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(0);
    let prev = await h.game(gameId);
    const chooser = randomChooser(5);
    for (let i = 0; i < 30; i++) {
      const side = await h.refereed.read.sideToMove([gameId]);
      await networkHelpers.time.increase(100);
      if (side === Side.Trainer) await h.trainerMove(gameId, 0);
      else await h.challengerMove(gameId, chooser);
      const g = await h.game(gameId);
      assert.ok(g.lastMove >= prev.lastMove + 100n, "the last move's time stamp advances");
      if (side === Side.Trainer) {
        assert.ok(prev.trainerLeft - g.trainerLeft >= 100n);
        if (g.status === GameStatus.InProgress) assert.equal(g.challengerLeft, prev.challengerLeft);
      } else {
        assert.ok(prev.challengerLeft - g.challengerLeft >= 100n);
        assert.equal(g.trainerLeft, prev.trainerLeft);
      }
      prev = g;
      if (g.status !== GameStatus.InProgress) break;
    }
    assert.equal(prev.status, GameStatus.TrainerWon);
  });
});

describe("several challengers", () => {
  it("two at once: the later one wins first by a direct dispute, the earliest-opened winner takes the trainer's bond", async () => {
    const h = await Harness.create(conn, tamperedTrace());
    await h.setupJob();
    await h.submit();
    const a = await h.openGame(1, h.alice);
    const b = await h.openGame(1, h.bob);
    assert.ok(a.gameId < b.gameId);
    // Bob (say, a copycat of Alice's path) walks the whole path in one transaction and wins first.
    const calls = directDisputeCalls(h.refereed, h.trace, 1, b.gameId, TAMPER);
    await h.sent(h.refereed.write.multicall([calls], { account: h.bob.account }));
    assert.equal((await h.game(b.gameId)).status, GameStatus.ChallengerWon);
    assert.equal(await h.refereed.read.rollupStatus([h.rollupId(1)]), RollupStatus.Rejected);
    // Alice's game is still open: the trainer's bond waits for it.
    assert.equal(await h.credit(h.bob), CB);
    assert.equal(await h.refereed.read.totalBonds(), TB + CB);
    await conn.viem.assertions.revertWithCustomErrorWithArgs(
      h.refereed.write.openGame([h.rollupId(1), ...h.trace.claim(1)], { account: h.anyone.account, value: CB }),
      h.refereed,
      "RollupNotPending",
      [h.rollupId(1), RollupStatus.Rejected],
    );
    const res = await h.play(a.gameId, 1, fraudFinder(honestTrace(), 1), h.alice);
    assert.equal(res.status, GameStatus.ChallengerWon);
    assert.equal(await h.credit(h.alice), CB + AWARD);
    assert.equal(await h.credit(h.bob), CB);
    assert.equal(await h.refereed.read.totalBonds(), 0n);
    await assertSolvent(h);
  });

  it("when the earliest game loses, the later winner takes the trainer's bond and the loser's bond goes to the requester", async () => {
    const h = await Harness.create(conn, tamperedTrace());
    await h.setupJob();
    await h.submit();
    const a = await h.openGame(1, h.alice);
    const b = await h.openGame(1, h.bob);
    await h.sent(h.refereed.write.multicall([directDisputeCalls(h.refereed, h.trace, 1, b.gameId, TAMPER)], { account: h.bob.account }));
    const requesterBefore = await h.credit(h.requester);
    const res = await h.play(a.gameId, 1, scriptedChooser([TAMPER.iteration, 4, 0], TAMPER.element), h.alice);
    assert.equal(res.status, GameStatus.TrainerWon);
    assert.equal(await h.credit(h.bob), CB + AWARD);
    assert.equal(await h.credit(h.alice), 0n);
    assert.equal(await h.credit(h.trainer), 0n, "a slashed trainer earns no forfeited bond");
    assert.equal((await h.credit(h.requester)) - requesterBefore, CB + TB_REST);
    await assertSolvent(h);
  });
});

describe("the direct dispute", () => {
  it("walks the whole path and runs the one-step check in one transaction", async () => {
    const h = await Harness.create(conn, tamperedTrace());
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(1);
    const calls = directDisputeCalls(h.refereed, h.trace, 1, gameId, TAMPER);
    const sent = await h.sent(h.refereed.write.multicall([calls], { account: h.alice.account }));
    assert.ok(sent.gas < 2_000_000n, `direct dispute used ${sent.gas} gas`);
    const g = await h.game(gameId);
    assert.equal(g.status, GameStatus.ChallengerWon);
    assert.equal(g.resolved, true, "the multicall ends with resolve");
    assert.ok(sent.logs.some((l) => l.eventName === "Stepped" && l.args.trainerValid === false));
    assert.equal(await h.credit(h.alice), CB + AWARD);
    await assertSolvent(h);
  });

  it("a walk that resolves twice reverts as a whole (GameAlreadyResolved) and changes nothing", async () => {
    const h = await Harness.create(conn, tamperedTrace());
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(1);
    const calls = directDisputeCalls(h.refereed, h.trace, 1, gameId, TAMPER);
    const twice = [...calls, calls.at(-1)!];
    const before = await h.game(gameId);
    await conn.viem.assertions.revertWithCustomErrorWithArgs(
      h.refereed.write.multicall([twice], { account: h.alice.account }),
      h.refereed,
      "GameAlreadyResolved",
      [gameId],
    );
    assert.deepEqual(await h.game(gameId), before);
    assert.equal(await h.credit(h.alice), 0n);
    await assertSolvent(h);
  });

  it("against an honest trace the same walk resolves for the trainer", async () => {
    const h = await Harness.create(conn, honestTrace());
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(1);
    await h.sent(h.refereed.write.multicall([directDisputeCalls(h.refereed, h.trace, 1, gameId, TAMPER)], { account: h.alice.account }));
    assert.equal((await h.game(gameId)).status, GameStatus.TrainerWon);
  });
});

describe("money", () => {
  it("withdraw pays exactly the credit, once", async () => {
    const h = await Harness.create(conn, honestTrace());
    await h.setupJob();
    await h.submit();
    await passWindow(h);
    await finalizeAll(h);
    const credit = await h.credit(h.trainer);
    assert.equal(credit, REWARD + TB);
    const before = await h.publicClient.getBalance({ address: h.trainer.account.address });
    const hash = await h.refereed.write.withdraw({ account: h.trainer.account });
    const receipt = await h.publicClient.waitForTransactionReceipt({ hash });
    const after = await h.publicClient.getBalance({ address: h.trainer.account.address });
    assert.equal(after - before + receipt.gasUsed * receipt.effectiveGasPrice, credit);
    assert.equal(await h.credit(h.trainer), 0n);
    await conn.viem.assertions.revertWithCustomErrorWithArgs(
      h.refereed.write.withdraw({ account: h.trainer.account }),
      h.refereed,
      "NothingToWithdraw",
      [h.trainer.account.address],
    );
    const { balance, owed } = await h.solvency();
    assert.equal(balance, 0n);
    assert.equal(owed, 0n);
  });

  it("a requester cancels a job nobody accepted and gets the reward back", async () => {
    const h = await Harness.create(conn, honestTrace());
    const s = await h.sent(
      h.refereed.write.createJob([jobParamsOf(h)], { account: h.requester.account, value: REWARD }),
    );
    const jobId = s.logs.find((l) => l.eventName === "JobCreated")!.args.jobId as bigint;
    await conn.viem.assertions.revertWithCustomErrorWithArgs(
      h.refereed.write.cancelJob([jobId], { account: h.trainer.account }),
      h.refereed,
      "NotRequester",
      [jobId, h.trainer.account.address, h.requester.account.address],
    );
    await h.sent(h.refereed.write.cancelJob([jobId], { account: h.requester.account }));
    assert.equal(await h.credit(h.requester), REWARD);
    assert.equal(await h.refereed.read.totalEscrow(), 0n);
    await assertSolvent(h);
  });

  it("a trainer that stops submitting: after its deadline anyone abandons the job; the requester gets the unearned reward and the bond", async () => {
    const h = await Harness.create(conn, honestTrace());
    await h.setupJob();
    const [first] = await h.submit(0, 1);
    const submittedAt = (await h.refereed.read.getRollup([h.rollupId(0)])).submittedAt;
    const deadline = submittedAt + DEFAULT_JOB.submissionTimeout;
    const now = BigInt(await networkHelpers.time.latest());
    assert.ok(first && now < deadline);
    const before = await h.solvency();
    await networkHelpers.time.setNextBlockTimestamp(deadline - 1n);
    await conn.viem.assertions.revertWithCustomErrorWithArgs(
      h.refereed.write.abandonJob([h.jobId], { account: h.anyone.account }),
      h.refereed,
      "SubmissionNotLate",
      [h.jobId, deadline, deadline - 1n],
    );
    assert.deepEqual(await h.solvency(), before, "a refused abandonment moves nothing");
    await networkHelpers.time.setNextBlockTimestamp(deadline);
    const s = await h.sent(h.refereed.write.abandonJob([h.jobId], { account: h.anyone.account }));
    assert.ok(s.logs.some((l) => l.eventName === "JobTerminated" && l.args.fromIndex === 1n));
    const [status, , , , deadFrom, slashed] = await h.refereed.read.jobState([h.jobId]);
    assert.deepEqual([status, deadFrom, slashed], [JobStatus.Dead, 1n, true]);
    // Rollup 0 covers 5 of 12 steps: the requester is refunded the other 7 and credited the whole bond.
    assert.equal(await h.credit(h.requester), REWARD - (REWARD * 5n) / 12n + TB);
    assert.equal(await h.refereed.read.rollupStatus([h.rollupId(0)]), RollupStatus.Pending, "what was delivered stays");
    await passWindow(h);
    await h.sent(h.refereed.write.finalizeRollup([h.rollupId(0)]));
    assert.equal(await h.credit(h.trainer), (REWARD * 5n) / 12n);
    assert.equal(await h.refereed.read.totalEscrow(), 0n);
    assert.equal(await h.refereed.read.totalBonds(), 0n);
    await assertSolvent(h);
  });

  it("multicall is not payable: a bond cannot be posted through it", async () => {
    const h = await Harness.create(conn, honestTrace());
    await h.setupJob();
    await h.submit(0, 1);
    const data = encodeFunctionData({
      abi: h.refereed.abi,
      functionName: "openGame",
      args: [h.rollupId(0), ...h.trace.claim(0)],
    });
    await conn.viem.assertions.revertWithCustomErrorWithArgs(
      h.refereed.write.multicall([[data]], { account: h.alice.account }),
      h.refereed,
      "WrongValue",
      [CB, 0n],
    );
  });
});

function jobParamsOf(h: Harness) {
  return jobParams(h.trace, h.cfg);
}
