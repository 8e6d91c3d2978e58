/**
 * The dispute game as the bots see it (docs/GAME.md §3–§4): the enums of `Refereed.sol`, the packed `Position` and
 * `Clock`, the decoded game record, whose turn it is, how much time each side has, and the position machine — what
 * each move does to the position — so that a walk of several moves can be planned offline and sent in one multicall.
 *
 * Pure: no chain I/O. Mirrors `contracts/types/Position.sol`, `contracts/types/Clock.sol` and the move functions of
 * `contracts/Refereed.sol`; the unit tests pin the mirror against the contract's behaviour through the integration
 * tests' real games.
 */
import { CHUNK_ELEMS, Kind, depthFor, numLeavesFor, type Hex } from "@refereed/core";

// ─────────────────────────────────────────── enums (mirrors of Refereed.sol) ───────────────────────────────────────

export const Phase = {
  None: 0,
  RollupTree: 1,
  IterationLeaf: 2,
  GraphTree: 3,
  NodeLeaf: 4,
  TensorTree: 5,
  ChunkLeaf: 6,
  JournalTree: 7,
  JournalLeaf: 8,
  ElementStep: 9,
  JournalStep: 10,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

export const PHASE_NAMES: Readonly<Record<Phase, string>> = {
  0: "None",
  1: "RollupTree",
  2: "IterationLeaf",
  3: "GraphTree",
  4: "NodeLeaf",
  5: "TensorTree",
  6: "ChunkLeaf",
  7: "JournalTree",
  8: "JournalLeaf",
  9: "ElementStep",
  10: "JournalStep",
};

export const Side = { Trainer: 0, Challenger: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];

export const GameStatus = { None: 0, InProgress: 1, ChallengerWon: 2, TrainerWon: 3 } as const;
export type GameStatus = (typeof GameStatus)[keyof typeof GameStatus];

export const RollupStatus = { None: 0, Pending: 1, Finalized: 2, Rejected: 3 } as const;
export type RollupStatus = (typeof RollupStatus)[keyof typeof RollupStatus];

export const JobStatus = { None: 0, Open: 1, Active: 2, Completed: 3, Dead: 4, Cancelled: 5 } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const Branch = { Graph: 0, Journal: 1 } as const;
export type Branch = (typeof Branch)[keyof typeof Branch];

/** Most tree levels one reveal opens (Refereed.REVEAL_LEVELS). */
export const REVEAL_LEVELS = 4;

/** What the earliest-opened winning game of the first verdict's rollup receives of the trainer's bond (Refereed.sol `_resolve`); the
 * rest goes to the requester, so a trainer that challenges itself still loses it (docs/GAME.md §6). */
export function trainerBondAward(trainerBond: bigint): bigint {
  return trainerBond / 2n;
}
/** Elements per tensor chunk (SPEC §2.3). */
export { CHUNK_ELEMS };

export class GameModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GameModelError";
  }
}

// ─────────────────────────────────────────── position ──────────────────────────────────────────────────────────────

/** `Position` unpacked (contracts/types/Position.sol). */
export interface Position {
  readonly phase: Phase;
  /** height of the current node above the leaves (tree phases) */
  readonly height: number;
  /** the tree's length field */
  readonly len: bigint;
  /** index among the nodes of that height (tree phases), or of the leaf reached */
  readonly index: bigint;
  /** the current hash is the tree's root (binding kind and length), not yet its top */
  readonly atRoot: boolean;
  /** a choice is due (the challenger's turn) */
  readonly revealed: boolean;
}

const M64 = (1n << 64n) - 1n;
const M48 = (1n << 48n) - 1n;
const M40 = (1n << 40n) - 1n;

/** Position.sol's 128-bit word: revealed 113, atRoot 112, phase 111..104, height 103..96, len 95..48, index 47..0. */
export function decodePosition(word: bigint): Position {
  return {
    phase: Number((word >> 104n) & 0xffn) as Phase,
    height: Number((word >> 96n) & 0xffn),
    len: (word >> 48n) & M48,
    index: word & M48,
    atRoot: ((word >> 112n) & 1n) === 1n,
    revealed: ((word >> 113n) & 1n) === 1n,
  };
}

export function encodePosition(p: Position): bigint {
  if (p.len > M48 || p.index > M48) throw new GameModelError(`position length ${p.len} / index ${p.index} do not fit 48 bits`);
  return (
    (p.revealed ? 1n << 113n : 0n) |
    (p.atRoot ? 1n << 112n : 0n) |
    (BigInt(p.phase) << 104n) |
    (BigInt(p.height) << 96n) |
    (p.len << 48n) |
    p.index
  );
}

/** Clock.sol's 120-bit word: trainer budget 119..80, challenger budget 79..40, last move 39..0 (seconds). */
export function decodeClock(word: bigint): { trainerLeft: bigint; challengerLeft: bigint; lastMove: bigint } {
  return { trainerLeft: (word >> 80n) & M40, challengerLeft: (word >> 40n) & M40, lastMove: word & M40 };
}

export function isTreePhase(ph: Phase): boolean {
  return ph === Phase.RollupTree || ph === Phase.GraphTree || ph === Phase.TensorTree || ph === Phase.JournalTree;
}

/** The Merkle kind (SPEC §2) of a tree phase. */
export function treeKind(ph: Phase): Kind {
  switch (ph) {
    case Phase.RollupTree:
      return Kind.Rollup;
    case Phase.GraphTree:
      return Kind.Graph;
    case Phase.TensorTree:
      return Kind.Tensor;
    case Phase.JournalTree:
      return Kind.Journal;
    default:
      throw new GameModelError(`phase ${PHASE_NAMES[ph] ?? ph} is not a tree phase`);
  }
}

export function leafPhase(ph: Phase): Phase {
  switch (ph) {
    case Phase.RollupTree:
      return Phase.IterationLeaf;
    case Phase.GraphTree:
      return Phase.NodeLeaf;
    case Phase.TensorTree:
      return Phase.ChunkLeaf;
    case Phase.JournalTree:
      return Phase.JournalLeaf;
    default:
      throw new GameModelError(`phase ${PHASE_NAMES[ph] ?? ph} is not a tree phase`);
  }
}

/** Levels one reveal opens from height h: min(4, h). */
export const levelsAt = (h: number): number => Math.min(REVEAL_LEVELS, h);

/** Real width of a tree (kind, length field) at height t: ceil(numLeaves / 2^t). */
export function widthAt(kind: Kind, len: bigint, t: number): bigint {
  const n = BigInt(numLeavesFor(kind, Number(len)));
  return ((n - 1n) >> BigInt(t)) + 1n;
}

/** The position at the root of a tree of `len` (leaves for kind `kind`) in phase `ph`. */
export function treeRoot(ph: Phase, len: bigint): Position {
  return { phase: ph, height: depthFor(numLeavesFor(treeKind(ph), Number(len))), len, index: 0n, atRoot: true, revealed: false };
}

/** The side whose move (and clock) it is: the trainer when a reveal or the step is due, the challenger for a choice. */
export function sideToMove(p: Position): Side {
  if (p.phase === Phase.ElementStep || p.phase === Phase.JournalStep) return Side.Trainer;
  return p.revealed ? Side.Challenger : Side.Trainer;
}

// ─────────────────────────────────────────── the move machine ─────────────────────────────────────────────────────

/** What a move does to the position (the contract's transitions). `numel` is needed by revealNode only. */
export type Move =
  | { readonly kind: "reveal" }
  | { readonly kind: "choose"; readonly child: number }
  | { readonly kind: "revealIteration" }
  | { readonly kind: "chooseBranch"; readonly branch: Branch; readonly nodeCount: number; readonly dropoutLayers: number }
  | { readonly kind: "revealNode"; readonly numel: number }
  | { readonly kind: "revealChunk" }
  | { readonly kind: "chooseElement"; readonly offset: number }
  | { readonly kind: "revealJournalEntry" }
  | { readonly kind: "step" };

/** The position after `m` at `p` (throws GameModelError for a move the contract would refuse in that phase). */
export function applyMove(p: Position, m: Move): Position | "decided" {
  const bad = (): never => {
    throw new GameModelError(`move ${m.kind} is not allowed at ${describePosition(p)}`);
  };
  switch (m.kind) {
    case "reveal": {
      if (!isTreePhase(p.phase) || p.revealed) bad();
      if (p.atRoot && p.height === 0) return { phase: leafPhase(p.phase), height: 0, index: 0n, len: p.len, atRoot: false, revealed: false };
      return { ...p, atRoot: false, revealed: true };
    }
    case "choose": {
      if (!isTreePhase(p.phase) || !p.revealed) bad();
      const L = levelsAt(p.height);
      if (m.child < 0 || m.child >= 1 << L) bad();
      const t = p.height - L;
      const index = (p.index << BigInt(L)) | BigInt(m.child);
      if (index >= widthAt(treeKind(p.phase), p.len, t)) throw new GameModelError(`choice ${m.child} at ${describePosition(p)} is a padding position`);
      return { phase: t === 0 ? leafPhase(p.phase) : p.phase, height: t, index, len: p.len, atRoot: false, revealed: false };
    }
    case "revealIteration":
      if (p.phase !== Phase.IterationLeaf || p.revealed) bad();
      return { ...p, revealed: true };
    case "chooseBranch": {
      if (p.phase !== Phase.IterationLeaf || !p.revealed) bad();
      if (m.branch === Branch.Graph) return treeRoot(Phase.GraphTree, BigInt(m.nodeCount));
      if (m.dropoutLayers === 0) throw new GameModelError("the job has no dropout layers: no journal branch");
      return treeRoot(Phase.JournalTree, BigInt(m.dropoutLayers));
    }
    case "revealNode":
      if (p.phase !== Phase.NodeLeaf || p.revealed) bad();
      return treeRoot(Phase.TensorTree, BigInt(m.numel));
    case "revealChunk":
      if (p.phase !== Phase.ChunkLeaf || p.revealed) bad();
      return { ...p, revealed: true };
    case "chooseElement": {
      if (p.phase !== Phase.ChunkLeaf || !p.revealed) bad();
      const element = p.index * BigInt(CHUNK_ELEMS) + BigInt(m.offset);
      if (m.offset < 0 || m.offset >= CHUNK_ELEMS || element >= p.len) throw new GameModelError(`element offset ${m.offset} is outside chunk ${p.index} of ${p.len} elements`);
      return { phase: Phase.ElementStep, height: 0, index: p.index, len: p.len, atRoot: false, revealed: false };
    }
    case "revealJournalEntry":
      if (p.phase !== Phase.JournalLeaf || p.revealed) bad();
      return { phase: Phase.JournalStep, height: 0, index: p.index, len: p.len, atRoot: false, revealed: false };
    case "step":
      if (p.phase !== Phase.ElementStep && p.phase !== Phase.JournalStep) bad();
      return "decided";
  }
}

export function describePosition(p: Position): string {
  const name = PHASE_NAMES[p.phase] ?? `phase ${p.phase}`;
  if (isTreePhase(p.phase)) return `${name}(h=${p.height}, i=${p.index}, len=${p.len}${p.atRoot ? ", root" : ""}${p.revealed ? ", revealed" : ""})`;
  return `${name}(i=${p.index}${p.revealed ? ", revealed" : ""})`;
}

// ─────────────────────────────────────────── the game record ──────────────────────────────────────────────────────

/** `Refereed.getGame` as viem returns it. */
export interface RawGame {
  readonly current: Hex;
  readonly pos: bigint;
  readonly clock: bigint;
  readonly status: number;
  readonly challenger: Hex;
  readonly rollupId: bigint;
  readonly iteration: number;
  readonly nodeId: number;
  readonly element: number;
  readonly journalIndex: number;
  readonly descriptorHash: Hex;
  readonly graphRoot: Hex;
  readonly journalRoot: Hex;
  readonly tensorRoot: Hex;
  readonly resolved: boolean;
}

/** A game record, decoded. */
export interface GameView {
  readonly gameId: bigint;
  readonly current: Hex;
  /** the packed position word (part of idempotency keys: it changes at every move) */
  readonly posWord: bigint;
  readonly pos: Position;
  readonly status: GameStatus;
  readonly challenger: Hex;
  readonly rollupId: bigint;
  readonly jobId: bigint;
  readonly rollupIndex: bigint;
  readonly iteration: number;
  readonly nodeId: number;
  readonly element: number;
  readonly journalIndex: number;
  /** bytes16(keccak256(descriptor)) of the revealed node (zero before revealNode) */
  readonly descriptorHash: Hex;
  readonly graphRoot: Hex;
  readonly journalRoot: Hex;
  readonly tensorRoot: Hex;
  /** settled by `resolve` (ADR 0010); `status` alone is the verdict, given by `step` or `timeout` */
  readonly resolved: boolean;
  readonly trainerLeft: bigint;
  readonly challengerLeft: bigint;
  readonly lastMove: bigint;
}

export function decodeGame(gameId: bigint, g: RawGame): GameView {
  const rollupId = BigInt(g.rollupId);
  return {
    gameId,
    current: g.current,
    posWord: BigInt(g.pos),
    pos: decodePosition(BigInt(g.pos)),
    status: Number(g.status) as GameStatus,
    challenger: g.challenger,
    rollupId,
    jobId: rollupId >> 64n,
    rollupIndex: rollupId & M64,
    iteration: Number(g.iteration),
    nodeId: Number(g.nodeId),
    element: Number(g.element),
    journalIndex: Number(g.journalIndex),
    descriptorHash: g.descriptorHash,
    graphRoot: g.graphRoot,
    journalRoot: g.journalRoot,
    tensorRoot: g.tensorRoot,
    resolved: Boolean(g.resolved),
    ...decodeClock(BigInt(g.clock)),
  };
}

/**
 * Seconds `side` has left at chain time `now` if it is to move (its budget minus the time since the last move), else
 * its whole budget. Negative once its clock has run out (then anyone may call `timeout`).
 */
export function clockMargin(g: GameView, side: Side, now: bigint): bigint {
  const budget = side === Side.Trainer ? g.trainerLeft : g.challengerLeft;
  if (sideToMove(g.pos) !== side) return budget;
  return budget - (now - g.lastMove);
}

/** Whether `winner` won the game and it still waits for `resolve` (which then settles the money and the rollup). */
export function awaitsResolve(g: GameView, winner: typeof GameStatus.ChallengerWon | typeof GameStatus.TrainerWon): boolean {
  return g.status === winner && !g.resolved;
}

/** Whether the side to move has run out of time at `now` (Refereed.timeout would succeed). */
export function timeoutAvailable(g: GameView, now: bigint): boolean {
  if (g.status !== GameStatus.InProgress) return false;
  return clockMargin(g, sideToMove(g.pos), now) < 0n;
}

/** rollupId = jobId << 64 | index. */
export const rollupIdOf = (jobId: bigint, index: bigint | number): bigint => (jobId << 64n) | BigInt(index);
