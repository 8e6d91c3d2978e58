/**
 * Fast roots of docs/SPEC.md §2 trees (bit-identical to `@refereed/core` merkle.ts; test/fasthash.test.ts
 * checks them against core on every shape class).
 *
 * Why a second implementation: with 1 KiB chunks the cost is per-call overhead, not SHA-256 itself. A tree costs
 * one native hash call per leaf and one per inner node (~0.2 µs each on top of the hashing, which no JS can
 * avoid); everything else per leaf and per inner node is kept to one native copy and one native string write,
 * with no allocation:
 * - digests are asked for as "binary" (latin1) strings (`crypto.hash(alg, data, "buffer")` allocates a Buffer
 *   per digest and is about twice as slow for 1 KiB inputs, 2.5 times for 65-byte inner nodes) and written with
 *   `Buffer#latin1Write` straight into the parent's preimage;
 * - each level keeps its parents' preimages `0x01 || left || right` side by side (65 bytes each) with a cached
 *   view per preimage, so a child's digest is written once, where its parent is hashed from; the ZERO padding
 *   subtree goes into the one padded slot of the level;
 * - a tensor chunk is copied (Buffer#copy, no view) behind the 0x00 prefix of one reusable 1025-byte buffer.
 */
import { hash } from "node:crypto";
import { CHUNK_BYTES, CHUNK_ELEMS, Kind, numLeavesFor, zeroSubtree } from "@refereed/core";

/** `Buffer#latin1Write` (one fast native call, undocumented but on Buffer.prototype since Node 0.x) with a fallback. */
type Latin1Write = (this: Buffer, s: string, offset: number, length: number) => number;
const protoLatin1Write = (Buffer.prototype as unknown as { latin1Write?: Latin1Write }).latin1Write;
const latin1Write: Latin1Write =
  typeof protoLatin1Write === "function"
    ? protoLatin1Write
    : function (this: Buffer, s: string, offset: number, length: number) {
        return this.write(s, offset, length, "latin1");
      };

/** byte offset of child j's digest in its parent's preimage within a level buffer */
function slot(j: number): number {
  return 65 * (j >> 1) + 1 + 32 * (j & 1);
}

function put(s: string, dst: Uint8Array, off: number): void {
  for (let i = 0; i < 32; i++) dst[off + i] = s.charCodeAt(i);
}

/** Reusable scratch; one per thread. */
export class FastHasher {
  /** 0x00 || chunk */
  private readonly leaf = Buffer.alloc(CHUNK_BYTES + 1);
  /** 0x00 || leaf data of rootOfLeaves (grown on demand) and its view of the current length */
  private varLeaf = Buffer.alloc(0);
  private varLeafView = this.varLeaf;
  /** 0x02 || u8(kind) || u64be(len) || top */
  private readonly rootBuf = Buffer.alloc(42);
  /**
   * levels[l]: the preimages 0x01 || left || right of the parents of the level-l nodes (level 0 = leaves), 65 bytes
   * each, grown on demand; views[l][j] is parent j's preimage.
   */
  private readonly levels: Buffer[] = [];
  private readonly views: Buffer[][] = [];

  constructor() {
    this.rootBuf[0] = 0x02;
  }

  /** SHA-256 of `data` written into dst at off. */
  digestInto(data: Uint8Array, dst: Uint8Array, off: number): void {
    put(hash("sha256", data, "binary"), dst, off);
  }

  /** The preimage buffer for `parents` parents of level-l nodes. */
  private level(l: number, parents: number): Buffer {
    let b = this.levels[l];
    if (b === undefined || b.length < 65 * parents) {
      const cap = Math.max(parents, b === undefined ? 0 : (2 * b.length) / 65);
      b = Buffer.alloc(65 * cap);
      const vs: Buffer[] = new Array(cap);
      for (let j = 0; j < cap; j++) {
        b[65 * j] = 0x01;
        vs[j] = b.subarray(65 * j, 65 * j + 65);
      }
      this.levels[l] = b;
      this.views[l] = vs;
    }
    return b;
  }

  /**
   * Where leaf digests go: the level-0 preimages for n > 1 leaves; for one leaf (top = its hash) null, and the
   * caller writes to rootBuf at 10.
   */
  private leafSink(n: number): Buffer | null {
    return n > 1 ? this.level(0, (n + 1) >> 1) : null;
  }

  /**
   * Hashes the levels above n leaves whose digests are already in their parents' preimages (`leafSink`), padding
   * with ZERO subtrees per SPEC §2; the top lands in rootBuf[10..42).
   */
  private top(n: number): void {
    for (let width = n, l = 0; width > 1; width = (width + 1) >> 1, l++) {
      const parents = (width + 1) >> 1;
      const vs = this.views[l]!;
      if (width & 1) this.levels[l]!.set(zeroSubtree(l), 65 * (parents - 1) + 33);
      if (parents === 1) {
        latin1Write.call(this.rootBuf, hash("sha256", vs[0]!, "binary"), 10, 32);
        return;
      }
      const dst = this.level(l + 1, (parents + 1) >> 1);
      for (let j = 0; j < parents; j++) latin1Write.call(dst, hash("sha256", vs[j]!, "binary"), slot(j), 32);
    }
  }

  /** H(0x02 || u8(kind) || u64be(len) || top), the top being in rootBuf already. */
  private root(kind: number, len: number): Uint8Array {
    const r = this.rootBuf;
    r[1] = kind;
    r.writeUInt32BE(Math.floor(len / 4294967296), 2);
    r.writeUInt32BE(len >>> 0, 6);
    const out = new Uint8Array(32);
    put(hash("sha256", r, "binary"), out, 0);
    return out;
  }

  /** tensorRoot(t) of SPEC §1–2 (kind 0x10, len = element count). */
  tensorRoot(t: Float32Array): Uint8Array {
    const n = t.length;
    if (n < 1) throw new RangeError("a tensor needs at least one element");
    const src = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
    const nc = Math.ceil(n / CHUNK_ELEMS);
    const full = Math.floor(n / CHUNK_ELEMS);
    const sink = this.leafSink(nc);
    const leaf = this.leaf;
    for (let c = 0; c < full; c++) {
      src.copy(leaf, 1, c * CHUNK_BYTES, (c + 1) * CHUNK_BYTES);
      const d = hash("sha256", leaf, "binary");
      if (sink === null) latin1Write.call(this.rootBuf, d, 10, 32);
      else latin1Write.call(sink, d, slot(c), 32);
    }
    if (full < nc) {
      // the short last chunk (not padded)
      const from = full * CHUNK_BYTES;
      src.copy(leaf, 1, from, src.length);
      const d = hash("sha256", leaf.subarray(0, src.length - from + 1), "binary");
      if (sink === null) latin1Write.call(this.rootBuf, d, 10, 32);
      else latin1Write.call(sink, d, slot(full), 32);
    }
    this.top(nc);
    return this.root(Kind.Tensor, n);
  }

  /** Root of a tree over leaf data (graph tree over tensor roots, journal, rollup, state, dataset). */
  rootOfLeaves(kind: Kind, leaves: readonly Uint8Array[]): Uint8Array {
    const n = leaves.length;
    if (n < 1) throw new RangeError("a tree needs at least one leaf");
    if (numLeavesFor(kind, n) !== n) throw new RangeError("use tensorRoot for tensors");
    const sink = this.leafSink(n);
    for (let i = 0; i < n; i++) {
      const data = leaves[i]!;
      let pre = this.varLeafView;
      if (pre.length !== data.length + 1) {
        if (this.varLeaf.length < data.length + 1) this.varLeaf = Buffer.alloc(Math.max(data.length + 1, 2 * this.varLeaf.length));
        pre = this.varLeafView = this.varLeaf.subarray(0, data.length + 1);
      }
      pre.set(data, 1);
      const d = hash("sha256", pre, "binary");
      if (sink === null) latin1Write.call(this.rootBuf, d, 10, 32);
      else latin1Write.call(sink, d, slot(i), 32);
    }
    this.top(n);
    return this.root(kind, n);
  }
}
