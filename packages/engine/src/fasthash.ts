/**
 * Fast roots of docs/SPEC.md §2 trees (bit-identical to `@refereed/core` merkle.ts;
 * packages/engine/test/fasthash.test.ts checks them against core on every shape class, on both inner-node paths).
 *
 * Why a second implementation: with 1 KiB chunks the cost is per-call overhead, not SHA-256 itself. Each leaf
 * costs one native hash call (~0.2 µs on top of the hashing, which no JS can avoid); everything else per leaf is
 * kept to one native string write and a 64th of a native copy, with no allocation:
 * - digests are asked for as "binary" (latin1) strings (`crypto.hash(alg, data, "buffer")` allocates a Buffer
 *   per digest and is about twice as slow for 1 KiB inputs, 2.5 times for 65-byte inner nodes) and written with
 *   `Buffer#latin1Write` straight into the parent's preimage;
 * - each level keeps its parents' preimages `0x01 || left || right` side by side (65 bytes each), so a child's
 *   digest is written once, where its parent is hashed from; the ZERO padding subtree goes into the one padded
 *   slot of the level;
 * - a tensor's full chunks are copied 64 at a time (one Buffer#copy) into a stage behind one spare byte; chunk k
 *   is hashed from a cached view of the stage starting one byte before it, where 0x00 is written over the last byte
 *   of chunk k − 1 (hashed already): no copy per chunk, and the caller's tensor is never written;
 * - inner nodes (two SHA-256 blocks each, so mostly call overhead when hashed natively) are hashed four at a time
 *   in WebAssembly SIMD (sha256x4.ts, ADR 0012) where a level has at least `SIMD_MIN_PARENTS` parents; the level
 *   preimages live in that module's memory.
 * Where the native SHA-256 tree is built and usable (native-hash.ts, ADR 0013), a tensor's whole chunk tree is one
 * call into it instead, and the path above serves only `rootOfLeaves` and machines without it.
 */
import { hash } from "node:crypto";
import { CHUNK_BYTES, CHUNK_ELEMS, Kind, numLeavesFor, zeroSubtree } from "@refereed/core";
import { nativeTree, type NativeTree } from "./native-hash.js";
import { PREIMAGE_BYTES as PRE, childSlot as slot, sha256x4, WASM_PAGE, type Sha256x4 } from "./sha256x4.js";

/** `Buffer#latin1Write` (one fast native call, undocumented but on Buffer.prototype since Node 0.x) with a fallback. */
type Latin1Write = (this: Buffer, s: string, offset: number, length: number) => number;
const protoLatin1Write = (Buffer.prototype as unknown as { latin1Write?: Latin1Write }).latin1Write;
const latin1Write: Latin1Write =
  typeof protoLatin1Write === "function"
    ? protoLatin1Write
    : function (this: Buffer, s: string, offset: number, length: number) {
        return this.write(s, offset, length, "latin1");
      };

function put(s: string, dst: Uint8Array, off: number): void {
  for (let i = 0; i < 32; i++) dst[off + i] = s.charCodeAt(i);
}

/**
 * Fewest parents in a level for which the four-lane hash is used: one group of four costs about as much as three
 * native calls (measured: ~0.75 µs a group, ~0.27 µs a call).
 */
export const SIMD_MIN_PARENTS = 3;

export interface FastHasherOptions {
  /**
   * hash inner nodes four at a time in WebAssembly SIMD where available (default: true unless the environment has
   * REFEREED_FASTHASH_SIMD=0); false: one native call each
   */
  readonly simd?: boolean;
  /**
   * compute tensor trees in the native SHA-256 tree where it is built and usable (default: true; its loader honours
   * REFEREED_NATIVE_HASH=0); false: always the path above
   */
  readonly native?: boolean;
}

/**
 * Full chunks copied into the leaf stage at once (64 KiB). One copy per chunk into a 1025-byte buffer cost
 * 3.34–3.41 ms per iteration against 3.25–3.27 ms this way (side by side, 16 to 256 chunks alike).
 */
const STAGE_CHUNKS = 64;

/** Reusable scratch; one per thread. */
export class FastHasher {
  /** 0x00 || chunk (the short last chunk of a tensor) */
  private readonly leaf = Buffer.alloc(CHUNK_BYTES + 1);
  /** STAGE_CHUNKS full chunks copied at once behind one spare byte, and the view 0x00 || chunk k of each */
  private readonly stage: Buffer;
  private readonly stageViews: Buffer[];
  /** 0x00 || leaf data of rootOfLeaves (grown on demand) and its view of the current length */
  private varLeaf = Buffer.alloc(0);
  private varLeafView = this.varLeaf;
  /** 0x02 || u8(kind) || u64be(len) || top */
  private readonly rootBuf = Buffer.alloc(42);
  /** the native SHA-256 tree for tensors, or null */
  private readonly tree: NativeTree | null;
  /** rootBuf[10..42): where the native tree writes a tensor's top */
  private readonly topView: Uint8Array;
  /** the four-lane level hash, whose memory holds the regions below, or null (native calls only) */
  private readonly x4: Sha256x4 | null;
  /**
   * The level preimages, one region per level: region l at offsets[l] holds capacities[l] preimages
   * 0x01 || left || right of the parents of the level-l nodes (level 0 = leaves), 65 bytes each. Laid out
   * before a tree is hashed (`reserve`), never during one.
   */
  private mem: Buffer;
  private readonly offsets: number[] = [];
  private readonly capacities: number[] = [];

  constructor(options: FastHasherOptions = {}) {
    this.rootBuf[0] = 0x02;
    this.topView = this.rootBuf.subarray(10, 42);
    this.tree = options.native === false ? null : nativeTree();
    this.stage = Buffer.alloc(STAGE_CHUNKS * CHUNK_BYTES + 1);
    this.stageViews = Array.from({ length: STAGE_CHUNKS }, (_, k) => this.stage.subarray(k * CHUNK_BYTES, (k + 1) * CHUNK_BYTES + 1));
    this.x4 = (options.simd ?? process.env.REFEREED_FASTHASH_SIMD !== "0") ? sha256x4() : null;
    this.mem = this.x4 === null ? Buffer.alloc(0) : Buffer.from(this.x4.memory.buffer);
  }

  /** whether tensor trees are computed by the native SHA-256 tree */
  get native(): boolean {
    return this.tree !== null;
  }

  /** whether inner nodes are hashed four at a time */
  get simd(): boolean {
    return this.x4 !== null;
  }

  /** SHA-256 of `data` written into dst at off. */
  digestInto(data: Uint8Array, dst: Uint8Array, off: number): void {
    put(hash("sha256", data, "binary"), dst, off);
  }

  /**
   * Makes room for the levels above n leaves. A region holds its parents rounded up to a group of four plus one
   * group, for the four-lane hash reads and writes whole groups (the extra lanes' results land in slots that are
   * rewritten or never read). Regions only grow, so the 0x01 prefixes are written once per layout.
   */
  private reserve(n: number): void {
    let fits = true;
    const need: number[] = [];
    for (let width = n, l = 0; width > 1; width = (width + 1) >> 1, l++) {
      need.push(((((width + 1) >> 1) + 3) & ~3) + 4);
      if ((this.capacities[l] ?? 0) < need[l]!) fits = false;
    }
    if (fits) return;
    let end = 0;
    for (let l = 0; l < Math.max(need.length, this.capacities.length); l++) {
      const old = this.capacities[l] ?? 0;
      const cap = old >= (need[l] ?? 0) ? old : Math.max(need[l]!, 2 * old);
      this.offsets[l] = end;
      this.capacities[l] = cap;
      end += PRE * cap;
    }
    if (this.x4 === null) {
      if (this.mem.length < end) this.mem = Buffer.alloc(end);
    } else {
      const memory = this.x4.memory;
      const pages = Math.ceil(end / WASM_PAGE) - memory.buffer.byteLength / WASM_PAGE;
      if (pages > 0) memory.grow(pages);
      this.mem = Buffer.from(memory.buffer);
    }
    for (let l = 0; l < this.capacities.length; l++) {
      for (let j = 0, o = this.offsets[l]!; j < this.capacities[l]!; j++, o += PRE) this.mem[o] = 0x01;
    }
  }

  /**
   * Where leaf digests go (absolute offsets: slot(j) past the returned base in `mem`): the level-0 preimages for
   * n > 1 leaves; for one leaf (top = its hash) -1, and the caller writes to rootBuf at 10.
   */
  private leafSink(n: number): number {
    if (n === 1) return -1;
    this.reserve(n);
    return this.offsets[0]!;
  }

  /** Writes leaf j's digest where `leafSink` said: into its parent's preimage, or for a one-leaf tree the top. */
  private putLeaf(digest: string, sink: number, j: number): void {
    if (sink < 0) latin1Write.call(this.rootBuf, digest, 10, 32);
    else latin1Write.call(this.mem, digest, sink + slot(j), 32);
  }

  /**
   * Hashes the levels above n leaves whose digests are already in their parents' preimages (`leafSink`), padding
   * with ZERO subtrees per SPEC §2; the top lands in rootBuf[10..42).
   */
  private top(n: number): void {
    const mem = this.mem;
    for (let width = n, l = 0; width > 1; width = (width + 1) >> 1, l++) {
      const parents = (width + 1) >> 1;
      const src = this.offsets[l]!;
      if (width & 1) mem.set(zeroSubtree(l), src + slot(width)); // the missing right child of the last parent
      if (parents === 1) {
        latin1Write.call(this.rootBuf, hash("sha256", mem.subarray(src, src + PRE), "binary"), 10, 32);
        return;
      }
      const dst = this.offsets[l + 1]!;
      if (this.x4 !== null && parents >= SIMD_MIN_PARENTS) this.x4.level(src, dst, (parents + 3) >> 2);
      else {
        for (let j = 0; j < parents; j++) {
          latin1Write.call(mem, hash("sha256", mem.subarray(src + PRE * j, src + PRE * (j + 1)), "binary"), dst + slot(j), 32);
        }
      }
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
    if (this.tree !== null) {
      this.tree.tensorTop(t, this.topView);
      return this.root(Kind.Tensor, n);
    }
    const src = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
    const nc = Math.ceil(n / CHUNK_ELEMS);
    const full = Math.floor(n / CHUNK_ELEMS);
    const sink = this.leafSink(nc);
    const leaf = this.leaf;
    const stage = this.stage;
    const views = this.stageViews;
    const per = views.length;
    for (let c0 = 0; c0 < full; c0 += per) {
      const m = Math.min(per, full - c0);
      src.copy(stage, 1, c0 * CHUNK_BYTES, (c0 + m) * CHUNK_BYTES);
      for (let k = 0; k < m; k++) {
        // the 0x00 prefix of chunk k goes over the last byte of chunk k − 1, which is hashed already
        stage[k * CHUNK_BYTES] = 0;
        this.putLeaf(hash("sha256", views[k]!, "binary"), sink, c0 + k);
      }
    }
    if (full < nc) {
      // the short last chunk (not padded)
      const from = full * CHUNK_BYTES;
      src.copy(leaf, 1, from, src.length);
      this.putLeaf(hash("sha256", leaf.subarray(0, src.length - from + 1), "binary"), sink, full);
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
      this.putLeaf(hash("sha256", pre, "binary"), sink, i);
    }
    this.top(n);
    return this.root(kind, n);
  }
}

let shared: FastHasher | undefined;
/**
 * This thread's FastHasher for one-off roots (a new one costs ~30 µs: a WebAssembly instance and its memory).
 * Safe to share because every root is computed synchronously, start to end.
 */
export function sharedHasher(): FastHasher {
  return (shared ??= new FastHasher());
}
