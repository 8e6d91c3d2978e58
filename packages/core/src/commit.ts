/**
 * Nested commitments (docs/SPEC.md §3):
 * rollup root ── iteration leaf ── graph root ── node leaf ── tensor root ── chunk ── element
 *                               └─ journal root ── journal entry
 */
import { concat, equalBytes, u32be, u64be } from "./bytes.js";
import { buildTree, Kind, MerkleError, type MerkleTree } from "./merkle.js";

import { G1_BYTES } from "./vrf.js";
export const JOURNAL_ENTRY_BYTES = 4 + 32 + G1_BYTES + 32 + 32 + 32 + 4; // 264
export const ITERATION_LEAF_BYTES = 8 + 32 + 32; // 72

/** One dropout layer's record in an iteration's journal. */
export interface JournalEntry {
  readonly layerId: number;
  /** VRF context (32 bytes), recomputed on-chain */
  readonly x: Uint8Array;
  /** VRF proof: BLS signature in G1, 128-byte EIP-2537 encoding */
  readonly pi: Uint8Array;
  /** VRF output SHA256(pi), the PRG seed */
  readonly y: Uint8Array;
  /** SHA256 of the mask bytes (0/1 per element) */
  readonly maskHash: Uint8Array;
  /** SHA256 of VDO's q' values as int32le */
  readonly qHash: Uint8Array;
  /** element count of the dropout tensor */
  readonly n: number;
}

function need(b: Uint8Array, len: number, what: string): Uint8Array {
  if (b.length !== len) throw new MerkleError(`${what} must be ${len} bytes, got ${b.length}`);
  return b;
}

export function encodeJournalEntry(e: JournalEntry): Uint8Array {
  return concat(
    u32be(e.layerId),
    need(e.x, 32, "journal x"),
    need(e.pi, G1_BYTES, "journal pi"),
    need(e.y, 32, "journal y"),
    need(e.maskHash, 32, "journal maskHash"),
    need(e.qHash, 32, "journal qHash"),
    u32be(e.n),
  );
}

export function decodeJournalEntry(b: Uint8Array): JournalEntry {
  need(b, JOURNAL_ENTRY_BYTES, "journal entry");
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  let o = 4;
  const take = (n: number) => b.slice(o, (o += n));
  const layerId = dv.getUint32(0, false);
  const x = take(32);
  const pi = take(G1_BYTES);
  const y = take(32);
  const maskHash = take(32);
  const qHash = take(32);
  const n = dv.getUint32(o, false);
  return { layerId, x, pi, y, maskHash, qHash, n };
}

export interface IterationLeaf {
  readonly step: bigint;
  readonly graphRoot: Uint8Array;
  readonly journalRoot: Uint8Array;
}

export function encodeIterationLeaf(it: IterationLeaf): Uint8Array {
  return concat(u64be(it.step), need(it.graphRoot, 32, "graphRoot"), need(it.journalRoot, 32, "journalRoot"));
}

export function decodeIterationLeaf(b: Uint8Array): IterationLeaf {
  need(b, ITERATION_LEAF_BYTES, "iteration leaf");
  const step = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, false);
  return { step, graphRoot: b.slice(8, 40), journalRoot: b.slice(40, 72) };
}

/** Graph tree over node output tensor roots (index = node id). */
export function graphTree(nodeTensorRoots: readonly Uint8Array[]): MerkleTree {
  nodeTensorRoots.forEach((r, i) => need(r, 32, `tensor root of node ${i}`));
  return buildTree(Kind.Graph, nodeTensorRoots);
}

export function journalTree(entries: readonly JournalEntry[]): MerkleTree {
  return buildTree(Kind.Journal, entries.map(encodeJournalEntry));
}

/** The journal root of an iteration without dropout: a journal with no entries is not a tree. */
export const EMPTY_JOURNAL_ROOT: Uint8Array = new Uint8Array(32);

export function journalRoot(entries: readonly JournalEntry[]): Uint8Array {
  return entries.length === 0 ? EMPTY_JOURNAL_ROOT : journalTree(entries).root;
}

export function rollupTree(iterations: readonly IterationLeaf[]): MerkleTree {
  iterations.forEach((it, i) => {
    if (i > 0 && it.step !== iterations[i - 1]!.step + 1n) {
      throw new MerkleError(`rollup iterations must be consecutive steps: ${iterations[i - 1]!.step} then ${it.step}`);
    }
  });
  return buildTree(Kind.Rollup, iterations.map(encodeIterationLeaf));
}

/** State tree over parameter tensor roots (index = parameter id). */
export function stateTree(paramRoots: readonly Uint8Array[]): MerkleTree {
  return buildTree(Kind.State, paramRoots);
}

export function sameRoot(a: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(a, b);
}
