/**
 * Bad calldata: wrong reveals, padding and out-of-range choices, out-of-order moves, wrong leaves, wrong proofs,
 * replays after resolution, and the job/rollup guards. Each reverts with its named error (and arguments) and leaves
 * the game, the credits and the balance exactly as they were.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import type { Hex } from "viem";
import { CHUNK_ELEMS, Kind, buildTree, elementOpening, encodeIterationLeaf, innerHash, rootHash, toHex } from "@refereed/core";
import {
  Branch,
  DEFAULT_JOB,
  GameStatus,
  Harness,
  JobStatus,
  Phase,
  RollupStatus,
  Side,
  Trace,
  chunkOf,
  childrenOf,
  jobParams,
  revealNodes,
  siblingsOf,
  stepProof,
  toyParams,
  toyTemplate,
  trainerKey,
} from "./helpers.js";

const conn = await network.create();
const { networkHelpers } = conn;
const { assertions } = conn.viem;
const template = toyTemplate();
const params = toyParams(template);
const { challengerBond: CB } = DEFAULT_JOB;
const hexes = (xs: readonly Uint8Array[]): Hex[] => xs.map(toHex);
const flip = (b: Uint8Array, i: number, mask: number) => {
  b[i] = b[i]! ^ mask;
};

/** Runs `bad`, requires the named error, and requires that nothing observable changed. */
async function refused(
  h: Harness,
  gameId: bigint,
  bad: () => Promise<unknown>,
  error: string,
  args?: readonly unknown[],
  contract: { abi: readonly unknown[] } = h.refereed,
) {
  const snap = async () => ({
    game: await h.refereed.read.getGame([gameId]),
    credits: await Promise.all([h.alice, h.bob, h.trainer, h.requester].map((w) => h.credit(w))),
    ...(await h.solvency()),
    status: await h.refereed.read.rollupStatus([(await h.game(gameId)).rollupId]),
  });
  const before = await snap();
  const p = bad() as Promise<Hex>;
  if (args === undefined) await assertions.revertWithCustomError(p, contract as never, error as never);
  else await assertions.revertWithCustomErrorWithArgs(p, contract as never, error as never, args as never);
  assert.deepEqual(await snap(), before, `${error}: state changed`);
}

describe("bad calldata in a game", () => {
  let h: Harness;
  let gameId: bigint;
  const R = 0;

  before(async () => {
    h = await Harness.create(conn, new Trace({ template, params, stepsTotal: 12, rollupSteps: 5 }));
    await h.setupJob();
    await h.submit();
    gameId = (await h.openGame(R)).gameId;
  });
  const w = () => h.refereed.write;
  const alice = () => ({ account: h.alice.account });

  it("resolve before the verdict, and of an unknown game", async () => {
    await refused(h, gameId, () => w().resolve([gameId]), "GameNotDecided", [gameId]);
    await assertions.revertWithCustomErrorWithArgs(w().resolve([999n]), h.refereed, "UnknownGame", [999n]);
  });

  it("the rollup root: wrong top, wrong child, wrong length, a choice before the reveal", async () => {
    const s = await h.game(gameId);
    assert.equal(s.phase, Phase.RollupTree);
    assert.equal(s.atRoot, true);
    const nodes = revealNodes(h.trace, R, s); // [top, 8 children]
    assert.equal(nodes.length, 9);
    const badTop = nodes.map((n) => n.slice());
    flip(badTop[0]!, 0, 1);
    await refused(h, gameId, () => w().reveal([gameId, hexes(badTop)]), "RevealMismatch", [
      s.current,
      toHex(rootHash(Kind.Rollup, 5, badTop[0]!)),
    ]);
    const badChild = nodes.map((n) => n.slice());
    flip(badChild[3]!, 31, 1);
    const folded = (xs: Uint8Array[]) => {
      let l = xs;
      while (l.length > 1) l = Array.from({ length: l.length / 2 }, (_, j) => innerHash(l[2 * j]!, l[2 * j + 1]!).slice());
      return l[0]!;
    };
    await refused(h, gameId, () => w().reveal([gameId, hexes(badChild)]), "RevealMismatch", [
      toHex(nodes[0]!),
      toHex(folded(badChild.slice(1))),
    ]);
    await refused(h, gameId, () => w().reveal([gameId, hexes(nodes.slice(0, 8))]), "RevealLength", [8n, 9n]);
    await refused(
      h,
      gameId,
      () => w().choose([gameId, 0n, toHex(nodes[1]!), hexes(siblingsOf(nodes.slice(1), 0))], alice()),
      "NotYourTurn",
      [gameId, Side.Trainer],
    );
    await refused(h, gameId, () => w().revealChunk([gameId, "0x00"]), "WrongPhase", [gameId, Phase.ChunkLeaf, Phase.RollupTree]);
  });

  it("after the reveal: a second reveal, a stranger's choice, padding, out of range, wrong siblings", async () => {
    const s = await h.game(gameId);
    const nodes = revealNodes(h.trace, R, s);
    await h.sent(w().reveal([gameId, hexes(nodes)], { account: h.anyone.account })); // anyone may reveal
    const children = nodes.slice(1);
    await refused(h, gameId, () => w().reveal([gameId, hexes(nodes)]), "NotYourTurn", [gameId, Side.Challenger]);
    await refused(
      h,
      gameId,
      () => w().choose([gameId, 1n, toHex(children[1]!), hexes(siblingsOf(children, 1))], { account: h.bob.account }),
      "NotChallenger",
      [gameId, h.bob.account.address, h.alice.account.address],
    );
    // 5 iterations: children 5, 6, 7 are padding (zero subtrees), which the reveal checked and no choice may enter.
    await refused(
      h,
      gameId,
      () => w().choose([gameId, 5n, toHex(children[5]!), hexes(siblingsOf(children, 5))], alice()),
      "PaddingChosen",
      [5n, 5n],
    );
    await refused(
      h,
      gameId,
      () => w().choose([gameId, 8n, toHex(children[0]!), hexes(siblingsOf(children, 0))], alice()),
      "ChildOutOfRange",
      [8n, 8n],
    );
    const sibs = siblingsOf(children, 2);
    sibs[1] = sibs[1]!.slice();
    flip(sibs[1]!, 0, 0x80);
    await refused(h, gameId, () => w().choose([gameId, 2n, toHex(children[2]!), hexes(sibs)], alice()), "RevealMismatch");
    await refused(
      h,
      gameId,
      () => w().choose([gameId, 2n, toHex(children[2]!), hexes(siblingsOf(children, 2).slice(0, 2))], alice()),
      "RevealLength",
      [2n, 3n],
    );
    await h.sent(w().choose([gameId, 2n, toHex(children[2]!), hexes(siblingsOf(children, 2))], alice()));
    const after = await h.game(gameId);
    assert.equal(after.phase, Phase.IterationLeaf);
    assert.equal(after.index, 2n);
  });

  it("the iteration leaf: another iteration's leaf, a short leaf, the journal branch of a job without dropout", async () => {
    const ro = h.trace.rollups[R]!;
    await refused(h, gameId, () => w().revealIteration([gameId, toHex(ro.iterations[3]!.leaf)]), "RevealMismatch");
    await refused(h, gameId, () => w().revealIteration([gameId, toHex(ro.iterations[2]!.leaf.slice(0, 71))]), "LeafLength", [71n, 72n]);
    await h.sent(w().revealIteration([gameId, toHex(ro.iterations[2]!.leaf)]));
    await refused(h, gameId, () => w().chooseBranch([gameId, Branch.Journal], alice()), "NoJournal", [gameId]);
    await h.sent(w().chooseBranch([gameId, Branch.Graph], alice()));
  });

  it("the graph and the node: a padding node, a descriptor of another node", async () => {
    const s = await h.game(gameId);
    assert.equal(s.phase, Phase.GraphTree);
    const nodes = revealNodes(h.trace, R, s);
    await h.sent(w().reveal([gameId, hexes(nodes)]));
    const children = nodes.slice(1);
    await refused(
      h,
      gameId,
      () => w().choose([gameId, 6n, toHex(children[6]!), hexes(siblingsOf(children, 6))], alice()),
      "PaddingChosen",
      [6n, 5n],
    );
    await h.sent(w().choose([gameId, 1n, toHex(children[1]!), hexes(siblingsOf(children, 1))], alice()));
    const it = h.trace.rollups[R]!.iterations[2]!;
    await refused(
      h,
      gameId,
      () =>
        w().revealNode([
          gameId,
          toHex(it.trees[1]!.root),
          toHex(h.trace.descriptors[4]!),
          hexes(h.trace.templateTree.proof(4).siblings),
        ]),
      "TemplateOpeningInvalid",
      [toHex(h.trace.templateTree.root), 1n],
    );
    await refused(
      h,
      gameId,
      () =>
        w().revealNode([
          gameId,
          toHex(it.trees[0]!.root),
          toHex(h.trace.descriptors[1]!),
          hexes(h.trace.templateTree.proof(1).siblings),
        ]),
      "RevealMismatch",
    );
    await h.trainerMove(gameId, R);
    assert.equal((await h.game(gameId)).phase, Phase.TensorTree);
  });

  it("the chunk and the element: wrong chunk length, an element past the tensor's end, a wrong element opening", async () => {
    await h.trainerMove(gameId, R); // tensor root reveal: 2 chunks
    const s = await h.game(gameId);
    const children = childrenOf(h.trace.rollups[R]!.iterations[2]!.trees[1]!, 1, 0n, 1);
    await h.sent(w().choose([gameId, 1n, toHex(children[1]!), hexes(siblingsOf(children, 1))], alice()));
    assert.ok(s.revealed);
    const it = h.trace.rollups[R]!.iterations[2]!;
    const out = it.outputs[1]!;
    await refused(h, gameId, () => w().revealChunk([gameId, toHex(chunkOf(out, 0))]), "LeafLength", [1024n, 176n]);
    const raw = chunkOf(out, 1);
    await h.sent(w().revealChunk([gameId, toHex(raw)]));
    const opening = (o: number) => toHex(elementOpening(raw, o)); // the element's word + 5 siblings (SPEC §2.5)
    await refused(h, gameId, () => w().chooseElement([gameId, 44n, opening(40)], alice()), "ElementOutOfRange", [300n, 300n]);
    await refused(h, gameId, () => w().chooseElement([gameId, 256n, opening(40)], alice()), "ElementOutOfRange", [512n, 300n]);
    // the opening must be the chosen element's, in the revealed chunk
    await refused(h, gameId, () => w().chooseElement([gameId, 40n, toHex(elementOpening(chunkOf(it.outputs[0]!, 1), 40))], alice()), "WordOpeningMismatch");
    const tampered = elementOpening(raw, 40);
    flip(tampered, 100, 0x80); // a sibling's bit
    await refused(h, gameId, () => w().chooseElement([gameId, 40n, toHex(tampered)], alice()), "WordOpeningMismatch");
    await refused(h, gameId, () => w().chooseElement([gameId, 40n, opening(32)], alice()), "WordOpeningMismatch"); // another word
    await refused(h, gameId, () => w().chooseElement([gameId, 40n, toHex(raw)], alice()), "WordOpeningLength", [176n, 192n]);
    await h.sent(w().chooseElement([gameId, 40n, opening(40)], alice()));
    const g = await h.game(gameId);
    assert.equal(g.phase, Phase.ElementStep);
    assert.equal(g.element, 296);
    assert.equal(BigInt(g.current), BigInt(new DataView(raw.buffer, raw.byteOffset).getUint32(4 * 40, true)), "the game holds the element's bits");
  });

  it("the step: a wrong claim, leaf data where none belongs, a proof whose input opening fails", async () => {
    const it = h.trace.rollups[R]!.iterations[2]!;
    const raw = chunkOf(it.outputs[1]!, 1);
    const proof = stepProof(h.trace, R, 2, 1, 296);
    const [s, root, e] = h.trace.claim(R);
    const rid = h.rollupId(R);
    await refused(h, gameId, () => w().step([gameId, e, root, s === e ? `0x${"11".repeat(32)}` : s, "0x", proof]), "ClaimMismatch");
    await refused(h, gameId, () => w().step([gameId, s, root, e, toHex(elementOpening(raw, 40)), proof]), "LeafLength", [192n, 0n]);
    // Bad openings of the relu's input: the verifier refuses to judge (reverts); it never answers "invalid".
    const wrongChunk = stepProof(h.trace, R, 2, 1, 40); // chunk 0 (1024 bytes) where chunk 1 (176 bytes) is due
    await refused(h, gameId, () => w().step([gameId, s, root, e, "0x", wrongChunk]), "ChunkLength", [1n, 1024n, 176n], h.verifier);
    const forged = stepProof(h.trace, R, 2, 1, 296, (input) => flip(input, 160, 0x01)); // the input element itself
    await refused(h, gameId, () => w().step([gameId, s, root, e, "0x", forged]), "OpeningInvalid", ["input chunk"], h.verifier);
    assert.equal((await h.game(gameId)).rollupId, rid);
    await h.sent(w().step([gameId, s, root, e, "0x", proof], { account: h.anyone.account }));
    assert.equal((await h.game(gameId)).status, GameStatus.TrainerWon);
  });

  it("after the verdict every move and the timeout are refused (no replay); resolve settles once", async () => {
    const [s, root, e] = h.trace.claim(R);
    const it = h.trace.rollups[R]!.iterations[2]!;
    const opening = toHex(elementOpening(chunkOf(it.outputs[1]!, 1), 40));
    const args = [gameId, GameStatus.TrainerWon] as const;
    await refused(h, gameId, () => w().step([gameId, s, root, e, "0x", stepProof(h.trace, R, 2, 1, 296)]), "GameNotInProgress", args);
    await refused(h, gameId, () => w().reveal([gameId, []]), "GameNotInProgress", args);
    await refused(h, gameId, () => w().chooseElement([gameId, 40n, opening], alice()), "GameNotInProgress", args);
    await networkHelpers.time.increase(100_000);
    await refused(h, gameId, () => w().timeout([gameId]), "GameNotInProgress", args);
    await assertions.revertWithCustomErrorWithArgs(w().timeout([999n]), h.refereed, "UnknownGame", [999n]);
    await h.resolve(gameId);
    await refused(h, gameId, () => w().resolve([gameId], alice()), "GameAlreadyResolved", [gameId]);
    await refused(h, gameId, () => w().reveal([gameId, []]), "GameNotInProgress", args);
  });
});

describe("a commitment that does not fit the template", () => {
  it("data hidden in graph padding cannot be revealed: the trainer loses on its clock", async () => {
    const trace = new Trace({ template, params, stepsTotal: 5, rollupSteps: 5 });
    // Iteration 0's graph: the 5 real node leaves, then a non-zero "padding" leaf at position 5.
    const it0 = trace.rollups[0]!.iterations[0]!;
    const leaves = it0.trees.map((t) => t.root);
    const junk = new Uint8Array(32).fill(0x42);
    const level0 = [...leaves.map((r) => buildTree(Kind.Graph, [r]).top), junk, new Uint8Array(32), new Uint8Array(32)];
    let lvl = level0;
    while (lvl.length > 1) lvl = Array.from({ length: lvl.length / 2 }, (_, j) => innerHash(lvl[2 * j]!, lvl[2 * j + 1]!).slice());
    const badGraphRoot = rootHash(Kind.Graph, 5, lvl[0]!);
    const iterations = trace.rollups[0]!.iterations.map((it, i) =>
      i === 0 ? { ...it, leaf: encodeIterationLeaf({ step: 0n, graphRoot: badGraphRoot, journalRoot: new Uint8Array(32) }) } : it,
    );
    const tree = buildTree(Kind.Rollup, iterations.map((x) => x.leaf));
    trace.rollups[0] = { ...trace.rollups[0]!, iterations, tree };

    const h = await Harness.create(conn, trace, { ...DEFAULT_JOB, stepsTotal: 5 });
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(0);
    await h.trainerMove(gameId, 0);
    const c = h.revealed.get(gameId)!;
    await h.sent(h.refereed.write.choose([gameId, 0n, toHex(c[0]!), hexes(siblingsOf(c, 0))], { account: h.alice.account }));
    await h.trainerMove(gameId, 0); // iteration leaf (with the bad graph root)
    await h.sent(h.refereed.write.chooseBranch([gameId, Branch.Graph], { account: h.alice.account }));
    // The only reveal that folds to the committed top carries the junk at padding position 5.
    await refused(h, gameId, () => h.refereed.write.reveal([gameId, hexes([lvl[0]!, ...level0])]), "PaddingNotEmpty", [
      5n,
      0n,
      toHex(junk),
    ]);
    await networkHelpers.time.increase(Number(DEFAULT_JOB.trainerClock) + 1);
    await h.sent(h.refereed.write.timeout([gameId]));
    assert.equal((await h.game(gameId)).status, GameStatus.ChallengerWon);
  });

  it("an iteration leaf with the wrong step is refused", async () => {
    const trace = new Trace({ template, params, stepsTotal: 5, rollupSteps: 5 });
    const iterations = trace.rollups[0]!.iterations.map((it, i) =>
      i === 1 ? { ...it, leaf: encodeIterationLeaf({ step: 7n, graphRoot: it.graph.root, journalRoot: new Uint8Array(32) }) } : it,
    );
    trace.rollups[0] = { ...trace.rollups[0]!, iterations, tree: buildTree(Kind.Rollup, iterations.map((x) => x.leaf)) };
    const h = await Harness.create(conn, trace, { ...DEFAULT_JOB, stepsTotal: 5 });
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(0);
    await h.trainerMove(gameId, 0);
    const c = h.revealed.get(gameId)!;
    await h.sent(h.refereed.write.choose([gameId, 1n, toHex(c[1]!), hexes(siblingsOf(c, 1))], { account: h.alice.account }));
    await refused(h, gameId, () => h.refereed.write.revealIteration([gameId, toHex(iterations[1]!.leaf)]), "IterationStepMismatch", [1n, 7n]);
  });
});

describe("job and rollup guards", () => {
  it("refuse what does not fit the job's lifecycle", async () => {
    const trace = new Trace({ template, params, stepsTotal: 12, rollupSteps: 5 });
    const h = await Harness.create(conn, trace);
    const w = h.refereed.write;
    const p = jobParams(trace, h.cfg);
    await assertions.revertWithCustomErrorWithArgs(w.createJob([{ ...p, rollupSteps: 0n }], { value: 1n }), h.refereed, "JobParamInvalid", [1]);
    const s = await h.sent(w.createJob([p], { account: h.requester.account, value: h.cfg.reward }));
    const jobId = s.logs.find((l) => l.eventName === "JobCreated")!.args.jobId as bigint;
    await assertions.revertWithCustomErrorWithArgs(
      w.acceptJob([jobId], { account: h.trainer.account, value: h.cfg.trainerBond }),
      h.refereed,
      "KeyNotRegistered",
      [h.trainer.account.address],
    );
    const k = trainerKey(9);
    await h.sent(h.keys.write.registerKey([k.pk, k.pop], { account: h.trainer.account }));
    await assertions.revertWithCustomErrorWithArgs(
      w.acceptJob([jobId], { account: h.trainer.account, value: 1n }),
      h.refereed,
      "WrongValue",
      [h.cfg.trainerBond, 1n],
    );
    await h.sent(w.acceptJob([jobId], { account: h.trainer.account, value: h.cfg.trainerBond }));
    h.jobId = jobId;
    await assertions.revertWithCustomErrorWithArgs(
      w.acceptJob([jobId], { account: h.bob.account, value: h.cfg.trainerBond }),
      h.refereed,
      "JobNotInStatus",
      [jobId, JobStatus.Open, JobStatus.Active],
    );
    const [st, root, e] = trace.claim(0);
    await assertions.revertWithCustomErrorWithArgs(
      w.submitRollup([jobId, st, root, e, ""], { account: h.bob.account }),
      h.refereed,
      "NotTrainer",
      [jobId, h.bob.account.address, h.trainer.account.address],
    );
    await assertions.revertWithCustomErrorWithArgs(
      w.submitRollup([jobId, root, root, e, ""], { account: h.trainer.account }),
      h.refereed,
      "StartStateMismatch",
      [st, root],
    );
    await h.submit();
    await assertions.revertWithCustomErrorWithArgs(
      w.submitRollup([jobId, e, root, e, ""], { account: h.trainer.account }),
      h.refereed,
      "AllStepsSubmitted",
      [jobId, 12n],
    );
    // Games: wrong bond, wrong claim.
    const rid = h.rollupId(0);
    await assertions.revertWithCustomErrorWithArgs(
      w.openGame([rid, st, root, e], { account: h.alice.account, value: CB - 1n }),
      h.refereed,
      "WrongValue",
      [CB, CB - 1n],
    );
    await assertions.revertWithCustomError(w.openGame([rid, st, e, e], { account: h.alice.account, value: CB }), h.refereed, "ClaimMismatch");
    // Finalization: inside the window, with an open game, out of order.
    const { gameId } = await h.openGame(0);
    const g = await h.game(gameId);
    await assertions.revertWithCustomError(w.finalizeRollup([rid]), h.refereed, "WindowOpen");
    await networkHelpers.time.increase(Number(h.cfg.challengeWindow) + 1);
    await assertions.revertWithCustomErrorWithArgs(w.finalizeRollup([rid]), h.refereed, "GamesOpen", [rid, 1]);
    await assertions.revertWithCustomErrorWithArgs(w.finalizeRollup([h.rollupId(1)]), h.refereed, "PredecessorNotFinalized", [h.rollupId(1), 0n]);
    await assertions.revertWithCustomError(
      w.openGame([h.rollupId(1), ...trace.claim(1)], { account: h.bob.account, value: CB }),
      h.refereed,
      "WindowClosed",
    );
    assert.equal(g.status, GameStatus.InProgress);
    await assertions.revertWithCustomErrorWithArgs(w.finalizeRollup([h.rollupId(7)]), h.refereed, "UnknownRollup", [h.rollupId(7)]);
    assert.equal(await h.refereed.read.rollupStatus([rid]), RollupStatus.Pending);
  });
});
