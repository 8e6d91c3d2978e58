/**
 * Unit-test fixtures for the pure solvers: an in-memory `RollupData` over real @refereed/core trees (random tensors,
 * graph trees over their roots, a journal, a rollup tree over iteration leaves), and game views at any position.
 */
import { Kind, buildTree, chunkByteLength, graphTree, tensorBytes, tensorTree, toHex, u64be, type Hex, type MerkleTree } from "@refereed/core";
import { GameStatus, decodePosition, encodePosition, type GameView, type Position, type RollupData } from "../src/index.js";

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

export const NUMEL = [300, 5, 1, 600, 2] as const;

/** 3 iterations of a 5-node graph (tensors of 300, 5, 1, 600, 2 elements) with a 2-entry journal. */
export class FakeData implements RollupData {
  readonly iterations: number;
  readonly nodeCount = NUMEL.length;
  readonly dropoutLayers = 2;
  readonly claim = { startState: `0x${"11".repeat(32)}` as Hex, rollupRoot: `0x${"22".repeat(32)}` as Hex, endState: `0x${"33".repeat(32)}` as Hex };
  readonly tensors: Float32Array[][] = [];
  readonly entries: Uint8Array[][] = [];
  readonly leaves: Uint8Array[] = [];
  private readonly rtree: MerkleTree;
  /** iterations whose data is "not held" (a challenger's partial copy) */
  missing = new Set<number>();

  constructor(iterations = 3, seed = 7) {
    this.iterations = iterations;
    const r = rng(seed);
    for (let i = 0; i < iterations; i++) {
      this.tensors.push(NUMEL.map((n) => Float32Array.from({ length: n }, () => r() * 2 - 1)));
      this.entries.push([0, 1].map(() => Uint8Array.from({ length: 264 }, () => Math.floor(r() * 256))));
      const leaf = new Uint8Array(72);
      leaf.set(u64be(BigInt(i)), 0);
      leaf.set(graphTree(this.tensors[i]!.map((t) => tensorTree(t).root)).root, 8);
      leaf.set(buildTree(Kind.Journal, this.entries[i]!).root, 40);
      this.leaves.push(leaf);
    }
    this.rtree = buildTree(Kind.Rollup, this.leaves);
  }

  numelOf(node: number): number {
    return NUMEL[node]!;
  }
  rollupTree(): MerkleTree {
    return this.rtree;
  }
  graphTree(i: number): MerkleTree | null {
    return this.missing.has(i) ? null : graphTree(this.tensors[i]!.map((t) => tensorTree(t).root));
  }
  journalTree(i: number): MerkleTree | null {
    return this.missing.has(i) ? null : buildTree(Kind.Journal, this.entries[i]!);
  }
  tensorTree(i: number, node: number): MerkleTree | null {
    return this.missing.has(i) ? null : tensorTree(this.tensors[i]![node]!);
  }
  iterationLeaf(i: number): Uint8Array {
    return this.leaves[i]!;
  }
  nodeLeaf(i: number, node: number) {
    if (this.missing.has(i)) return null;
    return { tensorRoot: toHex(tensorTree(this.tensors[i]![node]!).root), descriptor: `0xd${node}` as Hex, templateProof: [`0x${"dd".repeat(32)}` as Hex] };
  }
  chunk(i: number, node: number, c: number): Uint8Array | null {
    if (this.missing.has(i)) return null;
    const t = this.tensors[i]![node]!;
    return tensorBytes(t).slice(c * 1024, c * 1024 + chunkByteLength(t.length, c));
  }
  journalEntry(i: number, index: number): Uint8Array | null {
    return this.missing.has(i) ? null : this.entries[i]![index]!;
  }
  elementProof(i: number, node: number, element: number): Hex | null {
    return this.missing.has(i) ? null : (`0xe1${i.toString(16).padStart(2, "0")}${node.toString(16).padStart(2, "0")}${element.toString(16).padStart(4, "0")}` as Hex);
  }
  journalProof(i: number, index: number): Hex | null {
    return this.missing.has(i) ? null : (`0xa1${i.toString(16).padStart(2, "0")}${index.toString(16).padStart(2, "0")}` as Hex);
  }
}

export interface ViewOpts {
  readonly status?: GameStatus;
  readonly resolved?: boolean;
  readonly iteration?: number;
  readonly nodeId?: number;
  readonly element?: number;
  readonly journalIndex?: number;
  readonly trainerLeft?: bigint;
  readonly challengerLeft?: bigint;
  readonly lastMove?: bigint;
  readonly gameId?: bigint;
}

/** A game view at `pos` (defaults: in progress, 100 s each, last move at t = 1000). */
export function view(pos: Position, o: ViewOpts = {}): GameView {
  const posWord = encodePosition(pos);
  return {
    gameId: o.gameId ?? 7n,
    current: `0x${"00".repeat(32)}`,
    posWord,
    pos: decodePosition(posWord),
    status: o.status ?? GameStatus.InProgress,
    challenger: `0x${"cc".repeat(20)}`,
    rollupId: (1n << 64n) | 2n,
    jobId: 1n,
    rollupIndex: 2n,
    iteration: o.iteration ?? 0,
    nodeId: o.nodeId ?? 0,
    element: o.element ?? 0,
    journalIndex: o.journalIndex ?? 0,
    descriptorHash: `0x${"00".repeat(16)}`,
    graphRoot: `0x${"00".repeat(32)}`,
    journalRoot: `0x${"00".repeat(32)}`,
    tensorRoot: `0x${"00".repeat(32)}`,
    resolved: o.resolved ?? false,
    trainerLeft: o.trainerLeft ?? 100n,
    challengerLeft: o.challengerLeft ?? 100n,
    lastMove: o.lastMove ?? 1000n,
  };
}
