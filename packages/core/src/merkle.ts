/**
 * The index-bound, length-bound Merkle tree of docs/SPEC.md §2, and float32 tensor commitments (§1, §2.3).
 *
 *   leafHash(d)   = SHA256(0x00 || d)
 *   innerHash(l,r)= SHA256(0x01 || l || r)
 *   padding leaf  = ZERO (32 zero bytes)
 *   root          = SHA256(0x02 || u8(kind) || u64be(len) || top)
 *
 * The depth is recomputed from `len` by every verifier, so the path bits are the index.
 */
import { hash } from "node:crypto";
import { equalBytes } from "./bytes.js";

export const CHUNK_ELEMS = 256;
export const CHUNK_BYTES = CHUNK_ELEMS * 4;

/** Tree kinds, bound into every root (SPEC §2). */
export const Kind = {
  Tensor: 0x10,
  Graph: 0x11,
  Journal: 0x12,
  Rollup: 0x13,
  Dataset: 0x14,
  State: 0x15,
  Template: 0x16,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export const ZERO: Uint8Array = new Uint8Array(32);

export class MerkleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MerkleError";
  }
}

function digest(data: Uint8Array): Uint8Array {
  const b = hash("sha256", data, "buffer") as Buffer;
  return new Uint8Array(b.buffer, b.byteOffset, 32);
}

export function leafHash(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(data.length + 1);
  buf.set(data, 1);
  return digest(buf);
}

const innerScratch = new Uint8Array(65);
innerScratch[0] = 0x01;
export function innerHash(l: Uint8Array, r: Uint8Array): Uint8Array {
  innerScratch.set(l, 1);
  innerScratch.set(r, 33);
  return digest(innerScratch);
}

export function rootHash(kind: Kind, len: number, top: Uint8Array): Uint8Array {
  const buf = new Uint8Array(42);
  buf[0] = 0x02;
  buf[1] = kind;
  new DataView(buf.buffer).setBigUint64(2, BigInt(len), false);
  buf.set(top, 10);
  return digest(buf);
}

/** ceil(log2(n)) for n >= 1. */
export function depthFor(numLeaves: number): number {
  if (!Number.isInteger(numLeaves) || numLeaves < 1) throw new MerkleError(`a tree needs at least one leaf, got ${numLeaves}`);
  let d = 0;
  while (2 ** d < numLeaves) d++;
  return d;
}

/** Leaves of a tree with `len` (elements for tensors, leaves otherwise). */
export function numLeavesFor(kind: Kind, len: number): number {
  return kind === Kind.Tensor ? Math.ceil(len / CHUNK_ELEMS) : len;
}

/** Hash of an all-padding subtree of height t. */
const zeroSubtrees: Uint8Array[] = [ZERO];
export function zeroSubtree(t: number): Uint8Array {
  while (zeroSubtrees.length <= t) {
    const z = zeroSubtrees[zeroSubtrees.length - 1]!;
    zeroSubtrees.push(innerHash(z, z));
  }
  return zeroSubtrees[t]!;
}

/** A single-leaf proof: siblings bottom-up. */
export interface Proof {
  readonly index: number;
  readonly siblings: Uint8Array[];
}

/** A contiguous-range multiproof (SPEC §2.2). */
export interface RangeProof {
  readonly start: number;
  readonly end: number;
  readonly siblings: Uint8Array[];
}

/**
 * A built tree. Levels are packed arrays of 32-byte nodes; level 0 holds the real leaf hashes only
 * (padding is implicit and equals zeroSubtree(level)).
 */
export class MerkleTree {
  readonly depth: number;
  readonly numLeaves: number;
  readonly top: Uint8Array;
  readonly root: Uint8Array;
  private readonly levels: Uint8Array[];

  constructor(
    readonly kind: Kind,
    readonly len: number,
    leafHashes: Uint8Array,
  ) {
    this.numLeaves = numLeavesFor(kind, len);
    if (leafHashes.length !== this.numLeaves * 32) {
      throw new MerkleError(`expected ${this.numLeaves} leaf hashes for len ${len}, got ${leafHashes.length / 32}`);
    }
    this.depth = depthFor(this.numLeaves);
    this.levels = [leafHashes];
    const scratch = new Uint8Array(65);
    scratch[0] = 0x01;
    let cur = leafHashes;
    let width = this.numLeaves;
    for (let t = 0; t < this.depth; t++) {
      const nextWidth = Math.ceil(width / 2);
      const next = new Uint8Array(nextWidth * 32);
      for (let j = 0; j < nextWidth; j++) {
        scratch.set(cur.subarray(64 * j, 64 * j + 32), 1);
        if (2 * j + 1 < width) scratch.set(cur.subarray(64 * j + 32, 64 * j + 64), 33);
        else scratch.set(zeroSubtree(t), 33);
        next.set(digest(scratch), 32 * j);
      }
      this.levels.push(next);
      cur = next;
      width = nextWidth;
    }
    this.top = cur.slice(0, 32);
    this.root = rootHash(kind, len, this.top);
  }

  /** Node j of level t (padding positions give the zero subtree). */
  node(t: number, j: number): Uint8Array {
    const level = this.levels[t];
    if (level === undefined) throw new MerkleError(`level ${t} out of range (depth ${this.depth})`);
    if (j * 32 >= level.length) return zeroSubtree(t);
    return level.subarray(32 * j, 32 * j + 32);
  }

  leafHash(i: number): Uint8Array {
    this.checkIndex(i);
    return this.node(0, i);
  }

  proof(index: number): Proof {
    this.checkIndex(index);
    const siblings: Uint8Array[] = [];
    for (let t = 0, j = index; t < this.depth; t++, j >>= 1) siblings.push(this.node(t, j ^ 1).slice());
    return { index, siblings };
  }

  rangeProof(start: number, end: number): RangeProof {
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= this.numLeaves)) {
      throw new MerkleError(`bad leaf range [${start}, ${end}) for ${this.numLeaves} leaves`);
    }
    const siblings: Uint8Array[] = [];
    let lo = start;
    let hi = end - 1;
    for (let t = 0; t < this.depth; t++) {
      if (lo & 1) siblings.push(this.node(t, lo - 1).slice());
      if (!(hi & 1)) siblings.push(this.node(t, hi + 1).slice());
      lo >>= 1;
      hi >>= 1;
    }
    return { start, end, siblings };
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.numLeaves) {
      throw new MerkleError(`leaf index ${i} out of range: the tree has ${this.numLeaves} leaves`);
    }
  }
}

/** Builds a tree from leaf data (each leaf hashed with leafHash). */
export function buildTree(kind: Kind, leaves: readonly Uint8Array[]): MerkleTree {
  if (kind === Kind.Tensor) throw new MerkleError("use tensorTree() for tensors");
  const packed = new Uint8Array(leaves.length * 32);
  leaves.forEach((d, i) => packed.set(leafHash(d), 32 * i));
  return new MerkleTree(kind, leaves.length, packed);
}

export function merkleRoot(kind: Kind, leaves: readonly Uint8Array[]): Uint8Array {
  return buildTree(kind, leaves).root;
}

/** Recomputes the top from a leaf hash and its path. Returns null when the shape is wrong. */
function foldProof(leaf: Uint8Array, index: number, siblings: readonly Uint8Array[]): Uint8Array {
  let h = leaf;
  for (let t = 0; t < siblings.length; t++) {
    h = (index >> t) & 1 ? innerHash(siblings[t]!, h) : innerHash(h, siblings[t]!);
  }
  return h;
}

/** Verifies a single proof for leaf *data* (SPEC §2.1). Never throws on bad proofs: returns false. */
export function verifyProof(
  kind: Kind,
  len: number,
  root: Uint8Array,
  index: number,
  leafData: Uint8Array,
  siblings: readonly Uint8Array[],
): boolean {
  return verifyProofHash(kind, len, root, index, leafHash(leafData), siblings);
}

export function verifyProofHash(
  kind: Kind,
  len: number,
  root: Uint8Array,
  index: number,
  leaf: Uint8Array,
  siblings: readonly Uint8Array[],
): boolean {
  const n = numLeavesFor(kind, len);
  if (n < 1 || !Number.isInteger(index) || index < 0 || index >= n) return false;
  if (siblings.length !== depthFor(n)) return false;
  return equalBytes(rootHash(kind, len, foldProof(leaf, index, siblings)), root);
}

/** Verifies a contiguous-range multiproof over leaf *hashes* [start, start+leaves.length). */
export function verifyRangeProofHashes(
  kind: Kind,
  len: number,
  root: Uint8Array,
  start: number,
  leaves: readonly Uint8Array[],
  siblings: readonly Uint8Array[],
): boolean {
  const n = numLeavesFor(kind, len);
  const end = start + leaves.length;
  if (n < 1 || leaves.length === 0 || start < 0 || end > n) return false;
  const d = depthFor(n);
  let level = leaves.slice();
  let lo = start;
  let hi = end - 1;
  let k = 0;
  for (let t = 0; t < d; t++) {
    const row: Uint8Array[] = [];
    if (lo & 1) {
      const s = siblings[k++];
      if (!s) return false;
      row.push(s);
    }
    row.push(...level);
    if (!(hi & 1)) {
      const s = siblings[k++];
      if (!s) return false;
      row.push(s);
    }
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(innerHash(row[i]!, row[i + 1]!));
    level = next;
    lo >>= 1;
    hi >>= 1;
  }
  if (k !== siblings.length || level.length !== 1) return false;
  return equalBytes(rootHash(kind, len, level[0]!), root);
}

export function verifyRangeProof(
  kind: Kind,
  len: number,
  root: Uint8Array,
  start: number,
  leafData: readonly Uint8Array[],
  siblings: readonly Uint8Array[],
): boolean {
  return verifyRangeProofHashes(kind, len, root, start, leafData.map(leafHash), siblings);
}

// ---------------------------------------------------------------------------------------------
// Tensors
// ---------------------------------------------------------------------------------------------

/** The exact bytes of a float32 tensor (little-endian on every supported platform). */
export function tensorBytes(t: Float32Array): Uint8Array {
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

if (new Uint8Array(new Float32Array([1]).buffer)[3] !== 0x3f) {
  throw new Error("refereed requires a little-endian platform (float32 tensors are hashed in place)");
}

/** Byte length of chunk c of a tensor with n elements. */
export function chunkByteLength(n: number, c: number): number {
  const nc = Math.ceil(n / CHUNK_ELEMS);
  if (c < 0 || c >= nc) throw new MerkleError(`chunk ${c} out of range: tensor of ${n} elements has ${nc} chunks`);
  return 4 * Math.min(CHUNK_ELEMS, n - CHUNK_ELEMS * c);
}

/** Leaf hashes of every chunk, packed (one SHA-256 per KiB). */
export function tensorLeafHashes(t: Float32Array): Uint8Array {
  const n = t.length;
  if (n < 1) throw new MerkleError("a tensor needs at least one element");
  const bytes = tensorBytes(t);
  const nc = Math.ceil(n / CHUNK_ELEMS);
  const out = new Uint8Array(nc * 32);
  const scratch = new Uint8Array(CHUNK_BYTES + 1);
  for (let c = 0; c < nc; c++) {
    const from = c * CHUNK_BYTES;
    const to = Math.min(from + CHUNK_BYTES, bytes.length);
    let input: Uint8Array;
    if (to - from === CHUNK_BYTES) {
      scratch.set(bytes.subarray(from, to), 1);
      input = scratch;
    } else {
      input = new Uint8Array(to - from + 1);
      input.set(bytes.subarray(from, to), 1);
    }
    out.set(digest(input), 32 * c);
  }
  return out;
}

export function tensorTree(t: Float32Array): MerkleTree {
  return new MerkleTree(Kind.Tensor, t.length, tensorLeafHashes(t));
}

export function tensorRoot(t: Float32Array): Uint8Array {
  return tensorTree(t).root;
}

/** Opening of one element: its chunk bytes and the chunk's proof. */
export interface ElementOpening {
  readonly element: number;
  readonly chunk: number;
  readonly chunkData: Uint8Array;
  readonly siblings: Uint8Array[];
}

export function openElement(t: Float32Array, tree: MerkleTree, element: number): ElementOpening {
  if (!Number.isInteger(element) || element < 0 || element >= t.length) {
    throw new MerkleError(`element ${element} out of range: tensor has ${t.length} elements`);
  }
  const chunk = Math.floor(element / CHUNK_ELEMS);
  const bytes = tensorBytes(t);
  const chunkData = bytes.slice(chunk * CHUNK_BYTES, chunk * CHUNK_BYTES + chunkByteLength(t.length, chunk));
  return { element, chunk, chunkData, siblings: tree.proof(chunk).siblings };
}

/** Opening of a contiguous element range [start, end): its chunks and a multiproof. */
export interface RangeOpening {
  readonly start: number;
  readonly end: number;
  readonly firstChunk: number;
  readonly chunks: Uint8Array[];
  readonly siblings: Uint8Array[];
}

export function openRange(t: Float32Array, tree: MerkleTree, start: number, end: number): RangeOpening {
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= t.length)) {
    throw new MerkleError(`bad element range [${start}, ${end}) for a tensor of ${t.length} elements`);
  }
  const c0 = Math.floor(start / CHUNK_ELEMS);
  const c1 = Math.floor((end - 1) / CHUNK_ELEMS);
  const bytes = tensorBytes(t);
  const chunks: Uint8Array[] = [];
  for (let c = c0; c <= c1; c++) chunks.push(bytes.slice(c * CHUNK_BYTES, c * CHUNK_BYTES + chunkByteLength(t.length, c)));
  return { start, end, firstChunk: c0, chunks, siblings: tree.rangeProof(c0, c1 + 1).siblings };
}

/** Verifies an element opening; returns the element's u32 bit pattern, or null if the opening is invalid. */
export function verifyElement(root: Uint8Array, len: number, o: ElementOpening): number | null {
  if (!Number.isInteger(o.element) || o.element < 0 || o.element >= len) return null;
  if (o.chunk !== Math.floor(o.element / CHUNK_ELEMS)) return null;
  if (o.chunkData.length !== chunkByteLength(len, o.chunk)) return null;
  if (!verifyProof(Kind.Tensor, len, root, o.chunk, o.chunkData, o.siblings)) return null;
  const off = (o.element % CHUNK_ELEMS) * 4;
  return new DataView(o.chunkData.buffer, o.chunkData.byteOffset, o.chunkData.length).getUint32(off, true);
}

/** Verifies a range opening; returns the u32 bit patterns of [start, end), or null. */
export function verifyRange(root: Uint8Array, len: number, o: RangeOpening): Uint32Array | null {
  if (!(0 <= o.start && o.start < o.end && o.end <= len)) return null;
  const c0 = Math.floor(o.start / CHUNK_ELEMS);
  const c1 = Math.floor((o.end - 1) / CHUNK_ELEMS);
  if (o.firstChunk !== c0 || o.chunks.length !== c1 - c0 + 1) return null;
  for (let i = 0; i < o.chunks.length; i++) if (o.chunks[i]!.length !== chunkByteLength(len, c0 + i)) return null;
  if (!verifyRangeProof(Kind.Tensor, len, root, c0, o.chunks, o.siblings)) return null;
  const out = new Uint32Array(o.end - o.start);
  for (let e = o.start; e < o.end; e++) {
    const ch = o.chunks[Math.floor(e / CHUNK_ELEMS) - c0]!;
    out[e - o.start] = new DataView(ch.buffer, ch.byteOffset, ch.length).getUint32((e % CHUNK_ELEMS) * 4, true);
  }
  return out;
}
