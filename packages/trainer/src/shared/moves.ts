/**
 * The moves of a game as contract calls, planned offline from a position and what a party knows (`RollupData`).
 * Pure: the result is a list of `RefereedCall`s (function name + arguments of `Refereed.sol`); responders encode and
 * send them, one at a time or batched in `multicall`.
 *
 * - `trainerMove`: the move due at a trainer-to-move position, from the trainer's data (reveal, leaf reveals, step).
 *   Anyone may make these moves with consistent data, so a challenger holding the trace uses it too.
 * - `challengerChoice`: the choice due at a challenger-to-move position, walking toward a `Target` leaf.
 * - `planWalk`: as many consecutive moves as the data allows, from the current position — for a challenger with the
 *   trace, the whole rest of the game (reveals, choices, leaf reveals and the step) in one multicall.
 */
import { CHUNK_ELEMS as CORE_CHUNK_ELEMS, elementOpening, innerHash, toHex, type Hex, type MerkleTree } from "@refereed/core";
import type { RollupData } from "./data.js";
import {
  Branch,
  CHUNK_ELEMS,
  GameModelError,
  Phase,
  Side,
  applyMove,
  describePosition,
  isTreePhase,
  levelsAt,
  sideToMove,
  type Move,
  type Position,
} from "./game.js";

if (CHUNK_ELEMS !== CORE_CHUNK_ELEMS) throw new GameModelError("chunk size differs from @refereed/core");

/** A call of Refereed.sol (encoded with its ABI by the responders). */
export type RefereedCall =
  | { readonly functionName: "reveal"; readonly args: readonly [bigint, readonly Hex[]] }
  | { readonly functionName: "choose"; readonly args: readonly [bigint, bigint, Hex, readonly Hex[]] }
  | { readonly functionName: "revealIteration"; readonly args: readonly [bigint, Hex] }
  | { readonly functionName: "chooseBranch"; readonly args: readonly [bigint, number] }
  | { readonly functionName: "revealNode"; readonly args: readonly [bigint, Hex, Hex, readonly Hex[]] }
  | { readonly functionName: "revealChunk"; readonly args: readonly [bigint, Hex] }
  | { readonly functionName: "chooseElement"; readonly args: readonly [bigint, bigint, Hex] }
  | { readonly functionName: "revealJournalEntry"; readonly args: readonly [bigint, Hex] }
  | { readonly functionName: "step"; readonly args: readonly [bigint, Hex, Hex, Hex, Hex, Hex] }
  | { readonly functionName: "timeout"; readonly args: readonly [bigint] }
  | { readonly functionName: "resolve"; readonly args: readonly [bigint] };

/** `resolve(gameId)`: settles a decided game (ADR 0010); anyone may send it, the winner has the incentive. */
export const resolveCall = (gameId: bigint): RefereedCall => ({ functionName: "resolve", args: [gameId] });

/** The winner's timeout claim: `timeout` and `resolve` in one multicall, so the game is settled with its verdict. */
export const timeoutAndResolveCalls = (gameId: bigint): RefereedCall[] => [{ functionName: "timeout", args: [gameId] }, resolveCall(gameId)];

/** Where the game's path is (the game record's path fields; planning updates them as it goes). */
export interface PathState {
  readonly iteration: number;
  readonly nodeId: number;
  readonly element: number;
  readonly journalIndex: number;
}

/** The leaf a challenger walks to: an element of a node's output, or a journal entry, of one iteration. */
export type Target =
  | { readonly branch: "graph"; readonly iteration: number; readonly node: number; readonly element: number }
  | { readonly branch: "journal"; readonly iteration: number; readonly index: number };

export interface PlannedMove {
  readonly call: RefereedCall;
  readonly move: Move;
}

/** The tree a tree phase walks, from `data` (null when its iteration is not held). */
export function treeAt(data: RollupData, pos: Position, path: PathState): MerkleTree | null {
  switch (pos.phase) {
    case Phase.RollupTree:
      return data.rollupTree();
    case Phase.GraphTree:
      return data.graphTree(path.iteration);
    case Phase.TensorTree:
      return data.tensorTree(path.iteration, path.nodeId);
    case Phase.JournalTree:
      return data.journalTree(path.iteration);
    default:
      throw new GameModelError(`no tree at ${describePosition(pos)}`);
  }
}

/** The 2^L descendants revealed at tree position `pos` (padding positions give the empty subtrees). */
export function childrenAt(tree: MerkleTree, pos: Position): Uint8Array[] {
  const L = levelsAt(pos.height);
  const first = Number(pos.index) << L;
  const out: Uint8Array[] = [];
  for (let k = 0; k < 1 << L; k++) out.push(tree.node(pos.height - L, first + k));
  return out;
}

/** The nodes a reveal at `pos` carries: the descendants, preceded by the tree's top at its root. */
export function revealNodesAt(tree: MerkleTree, pos: Position): Uint8Array[] {
  if (pos.atRoot && pos.height === 0) return [tree.top];
  const children = childrenAt(tree, pos);
  return pos.atRoot ? [tree.top, ...children] : children;
}

/** Siblings (bottom-up) of child k inside the subtree formed by `children` (2^L hashes). */
export function siblingsOf(children: readonly Uint8Array[], k: number): Uint8Array[] {
  const sibs: Uint8Array[] = [];
  let level: Uint8Array[] = [...children];
  let i = k;
  while (level.length > 1) {
    sibs.push(level[i ^ 1]!);
    const next: Uint8Array[] = [];
    for (let j = 0; j < level.length / 2; j++) next.push(innerHash(level[2 * j]!, level[2 * j + 1]!));
    level = next;
    i >>= 1;
  }
  return sibs;
}

const hexes = (xs: readonly Uint8Array[]): Hex[] => xs.map(toHex);

/** The trainer-side move due at `pos` (a reveal, a leaf reveal or the step), or null if `data` lacks it. */
export function trainerMove(gameId: bigint, pos: Position, path: PathState, data: RollupData): PlannedMove | null {
  if (sideToMove(pos) !== Side.Trainer) throw new GameModelError(`${describePosition(pos)} is the challenger's move`);
  if (isTreePhase(pos.phase)) {
    const tree = treeAt(data, pos, path);
    if (!tree) return null;
    return { call: { functionName: "reveal", args: [gameId, hexes(revealNodesAt(tree, pos))] }, move: { kind: "reveal" } };
  }
  const index = Number(pos.index);
  switch (pos.phase) {
    case Phase.IterationLeaf:
      return { call: { functionName: "revealIteration", args: [gameId, toHex(data.iterationLeaf(index))] }, move: { kind: "revealIteration" } };
    case Phase.NodeLeaf: {
      const leaf = data.nodeLeaf(path.iteration, index);
      if (!leaf) return null;
      return {
        call: { functionName: "revealNode", args: [gameId, leaf.tensorRoot, leaf.descriptor, leaf.templateProof] },
        move: { kind: "revealNode", numel: data.numelOf(index) },
      };
    }
    case Phase.ChunkLeaf: {
      const chunk = data.chunk(path.iteration, path.nodeId, index);
      if (!chunk) return null;
      return { call: { functionName: "revealChunk", args: [gameId, toHex(chunk)] }, move: { kind: "revealChunk" } };
    }
    case Phase.JournalLeaf: {
      const entry = data.journalEntry(path.iteration, index);
      if (!entry) return null;
      return { call: { functionName: "revealJournalEntry", args: [gameId, toHex(entry)] }, move: { kind: "revealJournalEntry" } };
    }
    case Phase.ElementStep: {
      const proof = data.elementProof(path.iteration, path.nodeId, path.element);
      if (!proof) return null;
      const { startState, rollupRoot, endState } = data.claim;
      // no leaf data: the challenger opened the element when it chose it (the game holds its bits)
      return { call: { functionName: "step", args: [gameId, startState, rollupRoot, endState, "0x", proof] }, move: { kind: "step" } };
    }
    case Phase.JournalStep: {
      const entry = data.journalEntry(path.iteration, path.journalIndex);
      const proof = data.journalProof(path.iteration, path.journalIndex);
      if (!entry || !proof) return null;
      const { startState, rollupRoot, endState } = data.claim;
      return { call: { functionName: "step", args: [gameId, startState, rollupRoot, endState, toHex(entry), proof] }, move: { kind: "step" } };
    }
    default:
      throw new GameModelError(`no trainer move at ${describePosition(pos)}`);
  }
}

/** The leaf index `target` names in the tree walked at `pos`. */
function targetLeaf(pos: Position, target: Target): number {
  switch (pos.phase) {
    case Phase.RollupTree:
      return target.iteration;
    case Phase.GraphTree:
      if (target.branch !== "graph") throw new GameModelError("the game is in the graph, the target is a journal entry");
      return target.node;
    case Phase.TensorTree:
      if (target.branch !== "graph") throw new GameModelError("the game is in a tensor, the target is a journal entry");
      return Math.floor(target.element / CHUNK_ELEMS);
    case Phase.JournalTree:
      if (target.branch !== "journal") throw new GameModelError("the game is in the journal, the target is a tensor element");
      return target.index;
    default:
      throw new GameModelError(`no tree at ${describePosition(pos)}`);
  }
}

/** The challenger's choice at `pos` toward `target` (null if the revealed subtree is not in `data`). */
export function challengerChoice(gameId: bigint, pos: Position, path: PathState, target: Target, data: RollupData): PlannedMove | null {
  if (sideToMove(pos) !== Side.Challenger) throw new GameModelError(`${describePosition(pos)} is the trainer's move`);
  if (isTreePhase(pos.phase)) {
    const leaf = BigInt(targetLeaf(pos, target));
    // INVARIANT: the game stands on the target's path (the challenger made every earlier choice toward it).
    if (leaf >> BigInt(pos.height) !== pos.index) throw new GameModelError(`the target leaf ${leaf} is not below ${describePosition(pos)}`);
    const tree = treeAt(data, pos, path);
    if (!tree) return null;
    const L = levelsAt(pos.height);
    const child = Number((leaf >> BigInt(pos.height - L)) & ((1n << BigInt(L)) - 1n));
    const children = childrenAt(tree, pos);
    return {
      call: { functionName: "choose", args: [gameId, BigInt(child), toHex(children[child]!), hexes(siblingsOf(children, child))] },
      move: { kind: "choose", child },
    };
  }
  switch (pos.phase) {
    case Phase.IterationLeaf: {
      if (Number(pos.index) !== target.iteration) throw new GameModelError(`the game reached iteration ${pos.index}, the target is ${target.iteration}`);
      const branch = target.branch === "graph" ? Branch.Graph : Branch.Journal;
      return {
        call: { functionName: "chooseBranch", args: [gameId, branch] },
        move: { kind: "chooseBranch", branch, nodeCount: data.nodeCount, dropoutLayers: data.dropoutLayers },
      };
    }
    case Phase.ChunkLeaf: {
      if (target.branch !== "graph") throw new GameModelError("the game is in a tensor, the target is a journal entry");
      const offset = target.element % CHUNK_ELEMS;
      const chunk = data.chunk(path.iteration, path.nodeId, Number(pos.index));
      if (!chunk) return null;
      // the element's word and its siblings in the revealed chunk's word tree (SPEC §2.5), not the chunk
      const opening = toHex(elementOpening(chunk, offset));
      return { call: { functionName: "chooseElement", args: [gameId, BigInt(offset), opening] }, move: { kind: "chooseElement", offset } };
    }
    default:
      throw new GameModelError(`no challenger move at ${describePosition(pos)}`);
  }
}

/** The path fields after `move` at `pos` (what the game record stores at leaf moves). */
export function advancePath(path: PathState, pos: Position, move: Move): PathState {
  switch (move.kind) {
    case "revealIteration":
      return { ...path, iteration: Number(pos.index) };
    case "revealNode":
      return { ...path, nodeId: Number(pos.index) };
    case "chooseElement":
      return { ...path, element: Number(pos.index) * CHUNK_ELEMS + move.offset };
    case "revealJournalEntry":
      return { ...path, journalIndex: Number(pos.index) };
    default:
      return path;
  }
}

export interface WalkPlan {
  readonly calls: RefereedCall[];
  /** the position after the planned calls ("decided" after a step: the verdict is in, `resolve` settles it) */
  readonly end: Position | "decided";
  /** why planning stopped before the game's end: the other side's turn, data not held, or the call limit */
  readonly stoppedBy: "decided" | "other-side" | "no-data" | "limit";
}

/** Most calls `planWalk` puts in one transaction unless told otherwise. */
export const DEFAULT_MAX_CALLS = 64;

/**
 * Consecutive moves from `pos`: as the trainer, its own moves until it is the challenger's turn; as the challenger
 * (with a target), the trainer's reveals too (anyone may make them) and its choices, down to the step.
 */
export function planWalk(opts: {
  readonly gameId: bigint;
  readonly pos: Position;
  readonly path: PathState;
  readonly data: RollupData;
  readonly as: "trainer" | "challenger";
  readonly target?: Target;
  readonly maxCalls?: number;
}): WalkPlan {
  const max = opts.maxCalls ?? DEFAULT_MAX_CALLS;
  const calls: RefereedCall[] = [];
  let pos: Position | "decided" = opts.pos;
  let path = opts.path;
  for (;;) {
    if (pos === "decided") return { calls, end: pos, stoppedBy: "decided" };
    if (calls.length >= max) return { calls, end: pos, stoppedBy: "limit" };
    let m: PlannedMove | null;
    if (sideToMove(pos) === Side.Trainer) {
      m = trainerMove(opts.gameId, pos, path, opts.data);
    } else {
      if (opts.as === "trainer") return { calls, end: pos, stoppedBy: "other-side" };
      if (!opts.target) throw new GameModelError("a challenger plans toward a target");
      m = challengerChoice(opts.gameId, pos, path, opts.target, opts.data);
    }
    if (!m) return { calls, end: pos, stoppedBy: "no-data" };
    calls.push(m.call);
    path = advancePath(path, pos, m.move);
    pos = applyMove(pos, m.move);
  }
}
