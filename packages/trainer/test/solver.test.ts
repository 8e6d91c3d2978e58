/**
 * The trainer's pure decision logic: every position and turn gives the right action (the move due from its data at
 * a trainer-to-move position; nothing at a challenger-to-move position until the challenger's clock runs out, then
 * the timeout claim), nothing on a resolved game or without data or once its own clock is out; finalization in
 * order after the window; withdrawals. And the position machine the planners rely on.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { elementOpening, toHex, zeroSubtree } from "@refereed/core";
import {
  Branch,
  GameModelError,
  GameStatus,
  Phase,
  RollupStatus,
  Side,
  applyMove,
  decodeClock,
  decodePosition,
  encodePosition,
  finalizeActions,
  sideToMove,
  treeRoot,
  trainerGameActions,
  withdrawActions,
  type Position,
  type TrainerAction,
} from "../src/index.js";
import { FakeData, view } from "./model.js";

const data = new FakeData();
const NOW = 1010n; // 10 s after the last move (t = 1000), each side has 100 s

function move(actions: TrainerAction[]): Extract<TrainerAction, { kind: "move" }> {
  assert.equal(actions.length, 1, `one action, got ${JSON.stringify(actions.map((a) => a.kind))}`);
  const a = actions[0]!;
  assert.equal(a.kind, "move");
  return a as Extract<TrainerAction, { kind: "move" }>;
}

const pos = (p: Partial<Position> & { phase: Position["phase"] }): Position => ({ height: 0, len: 1n, index: 0n, atRoot: false, revealed: false, ...p });

describe("trainer solver: trainer-to-move positions", () => {
  it("at a tree's root it reveals the top and the 2^L descendants (padding = empty subtrees)", () => {
    const p = treeRoot(Phase.RollupTree, 3n);
    assert.deepEqual([p.height, p.atRoot, sideToMove(p)], [2, true, Side.Trainer]);
    const a = move(trainerGameActions({ game: view(p), now: NOW, data }));
    assert.equal(a.calls.length, 1);
    const c = a.calls[0]!;
    assert.equal(c.functionName, "reveal");
    const nodes = c.args[1] as string[];
    const t = data.rollupTree();
    assert.deepEqual(nodes, [toHex(t.top), toHex(t.node(0, 0)), toHex(t.node(0, 1)), toHex(t.node(0, 2)), toHex(zeroSubtree(0))]);
  });

  it("at an inner node below the root it reveals 2^L descendants without the top", () => {
    const big = new FakeData(20);
    // 20 iterations: depth 5; the root reveal opens 4 levels, the next node (h = 1, index 1) opens one
    const p = pos({ phase: Phase.RollupTree, height: 1, len: 20n, index: 1n });
    const c = move(trainerGameActions({ game: view(p), now: NOW, data: big })).calls[0]!;
    assert.equal(c.functionName, "reveal");
    const t = big.rollupTree();
    assert.deepEqual(c.args[1], [toHex(t.node(0, 2)), toHex(t.node(0, 3))]);
  });

  it("iteration leaf: revealIteration with the 72-byte leaf of that iteration", () => {
    const c = move(trainerGameActions({ game: view(pos({ phase: Phase.IterationLeaf, index: 2n, len: 3n })), now: NOW, data })).calls[0]!;
    assert.deepEqual([c.functionName, c.args[1]], ["revealIteration", toHex(data.leaves[2]!)]);
  });

  it("node leaf: revealNode with the tensor root, descriptor and template proof of the node reached", () => {
    const c = move(trainerGameActions({ game: view(pos({ phase: Phase.NodeLeaf, index: 3n, len: 5n }), { iteration: 1 }), now: NOW, data })).calls[0]!;
    assert.equal(c.functionName, "revealNode");
    assert.deepEqual(c.args.slice(1), [data.nodeLeaf(1, 3)!.tensorRoot, "0xd3", [`0x${"dd".repeat(32)}`]]);
  });

  it("chunk leaf: revealChunk with the exact bytes (a short last chunk)", () => {
    const c = move(trainerGameActions({ game: view(pos({ phase: Phase.ChunkLeaf, index: 2n, len: 600n }), { iteration: 1, nodeId: 3 }), now: NOW, data })).calls[0]!;
    assert.equal(c.functionName, "revealChunk");
    assert.equal((c.args[1] as string).length, 2 + 2 * 4 * (600 - 512));
    assert.equal(c.args[1], toHex(data.chunk(1, 3, 2)!));
  });

  it("journal tree and leaf: reveal, then revealJournalEntry with the 264-byte entry", () => {
    const root = move(trainerGameActions({ game: view(treeRoot(Phase.JournalTree, 2n), { iteration: 2 }), now: NOW, data })).calls[0]!;
    const jt = data.journalTree(2)!;
    assert.deepEqual(root.args[1], [toHex(jt.top), toHex(jt.node(0, 0)), toHex(jt.node(0, 1))]);
    const c = move(trainerGameActions({ game: view(pos({ phase: Phase.JournalLeaf, index: 1n, len: 2n }), { iteration: 2 }), now: NOW, data })).calls[0]!;
    assert.deepEqual([c.functionName, c.args[1]], ["revealJournalEntry", toHex(data.entries[2]![1]!)]);
  });

  it("element step: step with the claim, no leaf data (the challenger opened the element) and its one-step proof", () => {
    const g = view(pos({ phase: Phase.ElementStep, index: 1n, len: 600n }), { iteration: 2, nodeId: 3, element: 300 });
    const c = move(trainerGameActions({ game: g, now: NOW, data })).calls[0]!;
    assert.equal(c.functionName, "step");
    assert.deepEqual(c.args.slice(1), [data.claim.startState, data.claim.rollupRoot, data.claim.endState, "0x", data.elementProof(2, 3, 300)]);
  });

  it("journal step: step with the entry and the journal proof", () => {
    const g = view(pos({ phase: Phase.JournalStep, index: 1n, len: 2n }), { iteration: 0, journalIndex: 1 });
    const c = move(trainerGameActions({ game: g, now: NOW, data })).calls[0]!;
    assert.deepEqual([c.functionName, c.args[4], c.args[5]], ["step", toHex(data.entries[0]![1]!), data.journalProof(0, 1)]);
  });

  it("a single-leaf tree: the top reveal and the leaf reveal go together (both are the trainer's)", () => {
    const g = view(treeRoot(Phase.TensorTree, 1n), { iteration: 0, nodeId: 2 });
    assert.equal(g.pos.height, 0);
    const a = move(trainerGameActions({ game: g, now: NOW, data }));
    assert.deepEqual(a.calls.map((c) => c.functionName), ["reveal", "revealChunk"]);
    assert.deepEqual(a.calls[0]!.args[1], [toHex(data.tensorTree(0, 2)!.top)]);
  });

  it("the action carries the position word (part of its idempotency key)", () => {
    const p = treeRoot(Phase.GraphTree, 5n);
    const a = move(trainerGameActions({ game: view(p, { iteration: 1 }), now: NOW, data }));
    assert.equal(a.posWord, encodePosition(p));
  });
});

describe("trainer solver: when it does nothing, and timeouts", () => {
  const challengerTurns: [string, Position][] = [
    ["a revealed tree node", { ...treeRoot(Phase.RollupTree, 3n), atRoot: false, revealed: true }],
    ["a revealed iteration leaf", pos({ phase: Phase.IterationLeaf, len: 3n, revealed: true })],
    ["a revealed chunk", pos({ phase: Phase.ChunkLeaf, len: 600n, revealed: true })],
  ];
  for (const [what, p] of challengerTurns) {
    it(`waits at ${what} (the challenger's turn) while the challenger has time`, () => {
      assert.equal(sideToMove(p), Side.Challenger);
      assert.deepEqual(trainerGameActions({ game: view(p), now: NOW, data }), []);
      // exactly at the budget the challenger may still move: no timeout yet
      assert.deepEqual(trainerGameActions({ game: view(p), now: 1100n, data }), []);
    });
    it(`claims the timeout at ${what} once the challenger's clock has run out`, () => {
      assert.deepEqual(trainerGameActions({ game: view(p), now: 1101n, data }), [{ kind: "timeout", gameId: 7n }]);
    });
  }

  it("a game it won that nobody settled: resolve; nothing on a lost or settled game", () => {
    const at = treeRoot(Phase.RollupTree, 3n);
    assert.deepEqual(trainerGameActions({ game: view(at, { status: GameStatus.TrainerWon }), now: 5000n, data }), [{ kind: "resolve", gameId: 7n }]);
    assert.deepEqual(trainerGameActions({ game: view(at, { status: GameStatus.TrainerWon, resolved: true }), now: 5000n, data }), []);
    for (const resolved of [false, true]) {
      assert.deepEqual(trainerGameActions({ game: view(at, { status: GameStatus.ChallengerWon, resolved }), now: 5000n, data }), []);
    }
  });

  it("nothing once its own clock has run out (only the challenger's timeout remains)", () => {
    assert.deepEqual(trainerGameActions({ game: view(treeRoot(Phase.RollupTree, 3n), { trainerLeft: 5n }), now: 1006n, data }), []);
    assert.equal(trainerGameActions({ game: view(treeRoot(Phase.RollupTree, 3n), { trainerLeft: 5n }), now: 1005n, data }).length, 1, "at exactly its budget it may still move");
  });

  it("nothing without data for the game's rollup or iteration", () => {
    assert.deepEqual(trainerGameActions({ game: view(treeRoot(Phase.RollupTree, 3n)), now: NOW, data: null }), []);
    const partial = new FakeData();
    partial.missing.add(1);
    assert.deepEqual(trainerGameActions({ game: view(treeRoot(Phase.GraphTree, 5n), { iteration: 1 }), now: NOW, data: partial }), []);
  });
});

describe("trainer solver: finalization and withdrawals", () => {
  const r = (index: number, o: Partial<{ status: RollupStatus; submittedAt: bigint; openGames: number }> = {}) => ({
    rollupId: (1n << 64n) | BigInt(index),
    index,
    status: o.status ?? RollupStatus.Pending,
    submittedAt: o.submittedAt ?? 1000n,
    openGames: o.openGames ?? 0,
  });

  it("finalizes in order every pending rollup whose window passed with no game open", () => {
    assert.deepEqual(
      finalizeActions([r(0), r(1), r(2, { submittedAt: 1500n })], 0, 100n, 1100n).map((a) => a.kind === "finalize" && a.rollupId & 0xffn),
      [0n, 1n],
    );
  });
  it("not before the window's end (now == submittedAt + window is the first allowed second)", () => {
    assert.deepEqual(finalizeActions([r(0)], 0, 100n, 1099n), []);
    assert.equal(finalizeActions([r(0)], 0, 100n, 1100n).length, 1);
  });
  it("stops at a rollup with an open game: later rollups wait for it (rollups finalize in order)", () => {
    assert.deepEqual(finalizeActions([r(0, { openGames: 1 }), r(1)], 0, 100n, 5000n), []);
    assert.equal(finalizeActions([r(0, { status: RollupStatus.Finalized }), r(1)], 1, 100n, 5000n).length, 1);
  });
  it("never a rejected rollup", () => {
    assert.deepEqual(finalizeActions([r(0, { status: RollupStatus.Rejected })], 0, 100n, 5000n), []);
  });
  it("withdraws any credit, nothing without", () => {
    assert.deepEqual(withdrawActions(0n), []);
    assert.deepEqual(withdrawActions(5n), [{ kind: "withdraw", amount: 5n }]);
  });
});

describe("game model: positions and the move machine (mirrors of Position.sol and Refereed.sol)", () => {
  it("packs and unpacks a position word", () => {
    const p: Position = { phase: Phase.TensorTree, height: 7, len: 100_352n, index: 12n, atRoot: false, revealed: true };
    assert.deepEqual(decodePosition(encodePosition(p)), p);
    // Position.sol's 128-bit layout: revealed is bit 113, the top bit; len and index are 48 bits
    assert.equal(encodePosition(p) >> 113n, 1n);
    const max = (1n << 48n) - 1n;
    assert.deepEqual(decodePosition(encodePosition({ ...p, len: max, index: max })), { ...p, len: max, index: max });
    assert.throws(() => encodePosition({ ...p, len: max + 1n }), /do not fit 48 bits/);
  });

  it("unpacks a clock word (Clock.sol: 40-bit trainer budget, challenger budget, last move)", () => {
    const w = (5n << 80n) | (7n << 40n) | 1_700_000_000n;
    assert.deepEqual(decodeClock(w), { trainerLeft: 5n, challengerLeft: 7n, lastMove: 1_700_000_000n });
  });

  it("walks reveal → choose → leaf, the branch choice, the node's tensor, the element", () => {
    let p = treeRoot(Phase.RollupTree, 3n);
    p = applyMove(p, { kind: "reveal" }) as Position;
    assert.deepEqual([p.atRoot, p.revealed], [false, true]);
    p = applyMove(p, { kind: "choose", child: 2 }) as Position;
    assert.deepEqual([p.phase, p.index], [Phase.IterationLeaf, 2n]);
    p = applyMove(applyMove(p, { kind: "revealIteration" }) as Position, { kind: "chooseBranch", branch: Branch.Graph, nodeCount: 5, dropoutLayers: 2 }) as Position;
    assert.deepEqual([p.phase, p.height, p.len, p.atRoot], [Phase.GraphTree, 3, 5n, true]);
    p = applyMove(applyMove(p, { kind: "reveal" }) as Position, { kind: "choose", child: 3 }) as Position;
    p = applyMove(p, { kind: "revealNode", numel: 600 }) as Position;
    assert.deepEqual([p.phase, p.height, p.len], [Phase.TensorTree, 2, 600n]);
    p = applyMove(applyMove(p, { kind: "reveal" }) as Position, { kind: "choose", child: 2 }) as Position;
    p = applyMove(applyMove(p, { kind: "revealChunk" }) as Position, { kind: "chooseElement", offset: 87 }) as Position;
    assert.deepEqual([p.phase, p.index], [Phase.ElementStep, 2n]);
    assert.equal(applyMove(p, { kind: "step" }), "decided");
  });

  it("refuses padding choices, elements past the tensor, out-of-turn moves and a journal branch without dropout", () => {
    const revealed = applyMove(treeRoot(Phase.RollupTree, 3n), { kind: "reveal" }) as Position;
    assert.throws(() => applyMove(revealed, { kind: "choose", child: 3 }), /padding/);
    assert.throws(() => applyMove(treeRoot(Phase.RollupTree, 3n), { kind: "choose", child: 0 }), GameModelError);
    const lastChunk: Position = { phase: Phase.ChunkLeaf, height: 0, len: 600n, index: 2n, atRoot: false, revealed: true };
    assert.throws(() => applyMove(lastChunk, { kind: "chooseElement", offset: 88 }), /outside/);
    const it: Position = { phase: Phase.IterationLeaf, height: 0, len: 3n, index: 0n, atRoot: false, revealed: true };
    assert.throws(() => applyMove(it, { kind: "chooseBranch", branch: Branch.Journal, nodeCount: 5, dropoutLayers: 0 }), /no dropout/);
  });
});
