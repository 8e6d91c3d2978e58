/**
 * The challenger's pure decision logic: from any position the rest of the walk toward its target (the trainer's
 * reveals from the verified trace, its own choices, the leaf reveals and the step) in one batch; the walk picks up
 * wherever the trainer left it; it stops where its data ends (then it waits for the trainer); the trainer out of time
 * → timeout; a game it won and nobody settled → resolve; nothing else once decided or with its own clock out. And: it
 * opens only games it will win.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { elementOpening, innerHash, toHex, fromHex } from "@refereed/core";
import { Branch, GameModelError, GameStatus, Phase, applyMove, treeRoot, type Position, type RefereedCall, type Target } from "@refereed/trainer";
import { challengerGameActions, openDecision, type ChallengerAction } from "../src/index.js";
import { FakeData, view } from "../../trainer/test/model.js";

const data = new FakeData();
const NOW = 1010n;
const ELEMENT: Target = { branch: "graph", iteration: 2, node: 3, element: 300 };

function walk(actions: ChallengerAction[]): Extract<ChallengerAction, { kind: "walk" }> {
  assert.equal(actions.length, 1, `one action, got ${JSON.stringify(actions.map((a) => a.kind))}`);
  assert.equal(actions[0]!.kind, "walk");
  return actions[0] as Extract<ChallengerAction, { kind: "walk" }>;
}

/**
 * Replays a walk on the position machine, checking every choice's node and siblings fold to the revealed parent, and
 * that a walk reaching the step ends with that game's `resolve` right after it.
 */
function replay(start: Position, calls: readonly RefereedCall[], alreadyRevealed: string[] = []): Position | "decided" {
  let p: Position | "decided" = start;
  let revealed: string[] = alreadyRevealed;
  for (const [k, c] of calls.entries()) {
    if (p === "decided") {
      assert.deepEqual([c, k], [{ functionName: "resolve", args: [7n] }, calls.length - 1], "only resolve follows the step, last");
      continue;
    }
    const cur = p as Position;
    switch (c.functionName) {
      case "reveal":
        revealed = (c.args[1] as string[]).slice(cur.atRoot && cur.height > 0 ? 1 : 0);
        p = applyMove(cur, { kind: "reveal" });
        break;
      case "choose": {
        const child = Number(c.args[1]);
        assert.equal(c.args[2], revealed[child], "the chosen node is the revealed child");
        let h = fromHex(c.args[2]);
        let i = child;
        for (const s of c.args[3] as string[]) {
          h = i & 1 ? innerHash(fromHex(s), h) : innerHash(h, fromHex(s));
          i >>= 1;
        }
        // folding the revealed children gives the same subtree root
        let level = revealed.map((x) => fromHex(x));
        while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, j) => innerHash(level[2 * j]!, level[2 * j + 1]!));
        assert.equal(toHex(h), toHex(level[0]!), "siblings fold to the revealed subtree's root");
        p = applyMove(cur, { kind: "choose", child });
        break;
      }
      case "revealIteration":
        p = applyMove(cur, { kind: "revealIteration" });
        break;
      case "chooseBranch":
        p = applyMove(cur, { kind: "chooseBranch", branch: c.args[1] as Branch, nodeCount: data.nodeCount, dropoutLayers: data.dropoutLayers });
        break;
      case "revealNode":
        p = applyMove(cur, { kind: "revealNode", numel: data.numelOf(Number(cur.index)) });
        break;
      case "revealChunk":
        p = applyMove(cur, { kind: "revealChunk" });
        break;
      case "chooseElement":
        p = applyMove(cur, { kind: "chooseElement", offset: Number(c.args[1]) });
        break;
      case "revealJournalEntry":
        p = applyMove(cur, { kind: "revealJournalEntry" });
        break;
      case "step":
        p = applyMove(cur, { kind: "step" });
        break;
      default:
        assert.fail(`unexpected call ${c.functionName}`);
    }
  }
  return p;
}

describe("challenger solver: the walk", () => {
  it("from the root: the whole game to the step in one batch, choosing the target's path", () => {
    const start = treeRoot(Phase.RollupTree, 3n);
    const w = walk(challengerGameActions({ game: view(start), now: NOW, target: ELEMENT, data }));
    assert.deepEqual(
      w.calls.map((c) => c.functionName),
      ["reveal", "choose", "revealIteration", "chooseBranch", "reveal", "choose", "revealNode", "reveal", "choose", "revealChunk", "chooseElement", "step", "resolve"],
    );
    assert.equal(w.complete, true);
    const byName = (n: string, k = 0) => w.calls.filter((c) => c.functionName === n)[k]!;
    assert.equal(byName("choose", 0).args[1], 2n, "iteration 2");
    assert.equal(byName("chooseBranch").args[1], Branch.Graph);
    assert.equal(byName("choose", 1).args[1], 3n, "node 3");
    assert.equal(byName("choose", 2).args[1], 1n, "chunk 1 holds element 300");
    assert.equal(byName("chooseElement").args[1], 44n, "offset 300 − 256");
    assert.equal(byName("chooseElement").args[2], toHex(elementOpening(data.chunk(2, 3, 1)!, 300 - 256)), "the element's word-tree opening");
    assert.deepEqual(byName("step").args.slice(4), ["0x", data.elementProof(2, 3, 300)]);
    assert.equal(replay(start, w.calls), "decided");
  });

  it("after the trainer revealed first: the walk starts with the challenger's choice", () => {
    const p = applyMove(treeRoot(Phase.RollupTree, 3n), { kind: "reveal" }) as Position;
    const w = walk(challengerGameActions({ game: view(p), now: NOW, target: ELEMENT, data }));
    assert.equal(w.calls[0]!.functionName, "choose");
    assert.equal(w.posWord, view(p).posWord);
    const t = data.rollupTree();
    assert.equal(replay(p, w.calls, [0, 1, 2, 3].map((k) => toHex(t.node(0, k)))), "decided");
  });

  it("mid-game (the trainer revealed the node's tensor root): continues from the game's path fields", () => {
    const p: Position = { ...treeRoot(Phase.TensorTree, 600n) };
    const w = walk(challengerGameActions({ game: view(p, { iteration: 2, nodeId: 3 }), now: NOW, target: ELEMENT, data }));
    assert.deepEqual(w.calls.map((c) => c.functionName), ["reveal", "choose", "revealChunk", "chooseElement", "step", "resolve"]);
    assert.equal(replay(p, w.calls), "decided");
  });

  it("a journal target: the journal branch, the entry, the journal step", () => {
    const target: Target = { branch: "journal", iteration: 1, index: 1 };
    const start = treeRoot(Phase.RollupTree, 3n);
    const w = walk(challengerGameActions({ game: view(start), now: NOW, target, data }));
    assert.deepEqual(w.calls.map((c) => c.functionName), ["reveal", "choose", "revealIteration", "chooseBranch", "reveal", "choose", "revealJournalEntry", "step", "resolve"]);
    assert.equal(w.calls[3]!.args[1], Branch.Journal);
    assert.deepEqual(w.calls[7]!.args.slice(4), [toHex(data.entries[1]![1]!), data.journalProof(1, 1)]);
    assert.equal(replay(start, w.calls), "decided");
  });

  it("stops where its data ends (then the trainer must reveal) and resumes interactively", () => {
    const partial = new FakeData();
    partial.missing.add(2);
    const start = treeRoot(Phase.RollupTree, 3n);
    const w = walk(challengerGameActions({ game: view(start), now: NOW, target: ELEMENT, data: partial }));
    assert.deepEqual(w.calls.map((c) => c.functionName), ["reveal", "choose", "revealIteration", "chooseBranch"]);
    assert.equal(w.complete, false);
    const at = replay(start, w.calls) as Position;
    assert.equal(at.phase, Phase.GraphTree);
    // nothing more it can do at the trainer's turn without the iteration's data …
    assert.deepEqual(challengerGameActions({ game: view(at, { iteration: 2 }), now: NOW, target: ELEMENT, data: partial }), []);
    // … but once the trainer revealed, it cannot choose without the subtree either: it waits
    const revealed = applyMove(at, { kind: "reveal" }) as Position;
    assert.deepEqual(challengerGameActions({ game: view(revealed, { iteration: 2 }), now: NOW, target: ELEMENT, data: partial }), []);
  });

  it("a walk to the step that fills maxCalls leaves resolve to its own transaction", () => {
    const p: Position = { ...treeRoot(Phase.TensorTree, 600n) };
    const game = view(p, { iteration: 2, nodeId: 3 });
    const full = walk(challengerGameActions({ game, now: NOW, target: ELEMENT, data, maxCalls: 5 }));
    assert.deepEqual(full.calls.map((c) => c.functionName), ["reveal", "choose", "revealChunk", "chooseElement", "step"]);
    assert.equal(full.complete, true);
    const roomy = walk(challengerGameActions({ game, now: NOW, target: ELEMENT, data, maxCalls: 6 }));
    assert.deepEqual(roomy.calls.map((c) => c.functionName), ["reveal", "choose", "revealChunk", "chooseElement", "step", "resolve"]);
  });

  it("at most maxCalls calls per transaction", () => {
    const w = walk(challengerGameActions({ game: view(treeRoot(Phase.RollupTree, 3n)), now: NOW, target: ELEMENT, data, maxCalls: 3 }));
    assert.equal(w.calls.length, 3);
    assert.equal(w.complete, false);
  });

  it("refuses to walk a game that left the target's path", () => {
    const it1: Position = { phase: Phase.IterationLeaf, height: 0, len: 3n, index: 1n, atRoot: false, revealed: true };
    assert.throws(() => challengerGameActions({ game: view(it1), now: NOW, target: ELEMENT, data }), GameModelError);
  });
});

describe("challenger solver: clocks and resolved games", () => {
  const trainerTurn = treeRoot(Phase.RollupTree, 3n);
  const challengerTurn = applyMove(trainerTurn, { kind: "reveal" }) as Position;

  it("the trainer out of time at its turn: timeout (not a walk)", () => {
    assert.deepEqual(challengerGameActions({ game: view(trainerTurn), now: 1101n, target: ELEMENT, data }), [{ kind: "timeout", gameId: 7n }]);
    assert.equal(walk(challengerGameActions({ game: view(trainerTurn), now: 1100n, target: ELEMENT, data })).kind, "walk", "exactly at its budget the trainer may still move");
  });

  it("its own clock out at its turn: nothing (the trainer may claim)", () => {
    assert.deepEqual(challengerGameActions({ game: view(challengerTurn), now: 1101n, target: ELEMENT, data }), []);
  });

  it("a game it won that nobody settled: resolve; nothing on a lost or settled game, nor without data", () => {
    assert.deepEqual(challengerGameActions({ game: view(trainerTurn, { status: GameStatus.ChallengerWon }), now: 5000n, target: ELEMENT, data }), [
      { kind: "resolve", gameId: 7n },
    ]);
    assert.deepEqual(challengerGameActions({ game: view(trainerTurn, { status: GameStatus.ChallengerWon, resolved: true }), now: 5000n, target: ELEMENT, data }), []);
    for (const resolved of [false, true]) {
      assert.deepEqual(challengerGameActions({ game: view(trainerTurn, { status: GameStatus.TrainerWon, resolved }), now: 5000n, target: ELEMENT, data }), []);
    }
    assert.deepEqual(challengerGameActions({ game: view(trainerTurn), now: NOW, target: ELEMENT, data: null }), []);
  });
});

describe("challenger solver: opening", () => {
  const base = { confirmedTarget: ELEMENT, now: 1000n, deadline: 1600n, margin: 12n, alreadyOpened: false, pending: true };
  it("opens when the verifier rejected the target, the rollup is pending and the window is open", () => {
    assert.deepEqual(openDecision(base), { open: true, target: ELEMENT });
  });
  it("not without a confirmed target (an audit finding alone is not enough)", () => {
    assert.equal(openDecision({ ...base, confirmedTarget: null }).open, false);
  });
  it("not twice, not on a rollup that is no longer pending, not in the last `margin` seconds of the window", () => {
    assert.equal(openDecision({ ...base, alreadyOpened: true }).open, false);
    assert.equal(openDecision({ ...base, pending: false }).open, false);
    assert.equal(openDecision({ ...base, now: 1588n }).open, false);
    assert.equal(openDecision({ ...base, now: 1587n }).open, true);
  });
});
