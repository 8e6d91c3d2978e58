/**
 * Four SHA-256 inner nodes at once (docs/SPEC.md §2: H(0x01 || left || right), 65 bytes), in WebAssembly SIMD.
 *
 * Why: Node's one-shot `crypto.hash` costs ~0.3 µs per call whatever the input, and an inner node is two
 * SHA-256 blocks, so a tree pays more for the call than for the hashing. Four preimages hashed side by side in
 * the four 32-bit lanes of a v128 share one call (ADR 0012).
 *
 * The module is generated here, at load time, by a small straight-line code generator (no binary is shipped
 * or fetched): the 128 rounds of the two blocks are unrolled, and every value known at generation time is
 * folded (the IV in the first rounds, the padding block's fourteen zero words and its length word), so the
 * emitted code only computes what depends on the children. `packages/engine/test/sha256x4.test.ts` checks it against
 * @noble/hashes on random preimages.
 *
 * Layout it works on (the one `FastHasher` keeps for a tree level): parent j's preimage at src + 65 j; its
 * digest goes to the slot of child j in the next level's preimages, dst + 65 (j >> 1) + 1 + 32 (j & 1).
 * `level(src, dst, groups)` hashes 4 × groups consecutive parents.
 */

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** preimage length of an inner node (0x01 || left || right) and the stride of the parents in a level */
export const PREIMAGE_BYTES = 65;
const PRE = PREIMAGE_BYTES;

/** Byte offset of child j's digest in a level of its parents' preimages (parent j >> 1, left or right half). */
export function childSlot(j: number): number {
  return PRE * (j >> 1) + 1 + 32 * (j & 1);
}

/** lane k's digest offset from the group's first output slot (parents 4g..4g+3 → slots of two next-level preimages) */
const OUT = [0, 1, 2, 3].map(childSlot);

// ── a tiny WebAssembly assembler ──
const SIMD = 0xfd;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Add: 0x6a,
  i32Sub: 0x6b,
} as const;
/** SIMD opcodes (after the 0xfd prefix, LEB128) */
const simd = {
  splat: 0x11,
  shuffle: 0x0d,
  and: 0x4e,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  load32Lane: 0x56,
  store32Lane: 0x5a,
  load32Zero: 0x5c,
  shl: 0xab,
  shrU: 0xad,
  add: 0xae,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  return vec([...s].map((c) => [c.charCodeAt(0)]));
}

/** A v128 whose four lanes are either one constant known at generation time or a local. */
type Val = { readonly c: number } | { readonly l: number };

const BSWAP = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];

/** Straight-line SIMD code with constant folding; locals 0–2 are the i32 parameters, v128 locals follow. */
class Gen {
  readonly code: number[] = [];
  private next = 3;

  get locals(): number {
    return this.next - 3;
  }

  private simd(o: number, ...imm: number[]): void {
    this.code.push(SIMD, ...uleb(o), ...imm);
  }

  private push(v: Val): void {
    if ("l" in v) this.code.push(op.localGet, ...uleb(v.l));
    else {
      this.code.push(op.i32Const, ...sleb(v.c | 0));
      this.simd(simd.splat);
    }
  }

  /** Stores the value on the stack in a fresh local. */
  private fresh(): Val {
    const l = this.next++;
    this.code.push(op.localSet, ...uleb(l));
    return { l };
  }

  private bin(o: number, a: Val, b: Val): Val {
    this.push(a);
    this.push(b);
    this.simd(o);
    return this.fresh();
  }

  xor(a: Val, b: Val): Val {
    if ("c" in a && "c" in b) return { c: (a.c ^ b.c) >>> 0 };
    if ("c" in a && a.c === 0) return b;
    if ("c" in b && b.c === 0) return a;
    return this.bin(simd.xor, a, b);
  }

  or(a: Val, b: Val): Val {
    if ("c" in a && "c" in b) return { c: (a.c | b.c) >>> 0 };
    if ("c" in a && a.c === 0) return b;
    if ("c" in b && b.c === 0) return a;
    return this.bin(simd.or, a, b);
  }

  and(a: Val, b: Val): Val {
    if ("c" in a && "c" in b) return { c: (a.c & b.c) >>> 0 };
    return this.bin(simd.and, a, b);
  }

  /** the sum of all terms, constants folded into one */
  add(...terms: Val[]): Val {
    let c = 0;
    const vars: Val[] = [];
    for (const t of terms) {
      if ("c" in t) c = (c + t.c) >>> 0;
      else vars.push(t);
    }
    if (c !== 0 || vars.length === 0) vars.push({ c });
    let acc = vars[0]!;
    for (let i = 1; i < vars.length; i++) acc = this.bin(simd.add, acc, vars[i]!);
    return acc;
  }

  private shift(o: number, a: Val, n: number): Val {
    this.push(a);
    this.code.push(op.i32Const, ...sleb(n));
    this.simd(o);
    return this.fresh();
  }

  shr(a: Val, n: number): Val {
    return "c" in a ? { c: a.c >>> n } : this.shift(simd.shrU, a, n);
  }

  shl(a: Val, n: number): Val {
    return "c" in a ? { c: (a.c << n) >>> 0 } : this.shift(simd.shl, a, n);
  }

  rotr(a: Val, n: number): Val {
    return this.or(this.shr(a, n), this.shl(a, 32 - n));
  }

  /** (a & m) | (b & ~m) */
  select(a: Val, b: Val, m: Val): Val {
    if ("c" in a && "c" in b && "c" in m) return { c: ((a.c & m.c) | (b.c & ~m.c)) >>> 0 };
    this.push(a);
    this.push(b);
    this.push(m);
    this.simd(simd.bitselect);
    return this.fresh();
  }

  /**
   * The 32-bit words at `offset + 65 k` from the address in local `base`, in lane k: big-endian (byte-swapped)
   * unless `littleEndian`.
   */
  gather(base: number, offset: number, littleEndian = false): Val {
    this.code.push(op.localGet, base);
    this.simd(simd.load32Zero, 0, ...uleb(offset));
    let v = this.fresh();
    for (let k = 1; k < 4; k++) {
      this.code.push(op.localGet, base);
      this.push(v);
      this.simd(simd.load32Lane, 0, ...uleb(offset + PRE * k), k);
      v = this.fresh();
    }
    return littleEndian ? v : this.bswap(v);
  }

  /** each lane of `v` byte-swapped (i8x16.shuffle of v with itself) */
  private bswap(v: Val): Val {
    this.push(v);
    this.push(v);
    this.simd(simd.shuffle, ...BSWAP);
    return this.fresh();
  }

  /** writes lane k of `v`, byte-swapped, to `offset + OUT[k]` from the address in local `base` */
  scatter(v: Val, base: number, offset: number): void {
    const s = this.bswap(v);
    for (let k = 0; k < 4; k++) {
      this.code.push(op.localGet, base);
      this.push(s);
      this.simd(simd.store32Lane, 0, ...uleb(offset + OUT[k]!), k);
    }
  }
}

function compress(g: Gen, init: readonly Val[], words: readonly Val[]): Val[] {
  const w = [...words];
  let [a, b, c, d, e, f, gg, h] = init as [Val, Val, Val, Val, Val, Val, Val, Val];
  const big = (x: Val, r1: number, r2: number, r3: number) => g.xor(g.xor(g.rotr(x, r1), g.rotr(x, r2)), g.rotr(x, r3));
  const small = (x: Val, r1: number, r2: number, s: number) => g.xor(g.xor(g.rotr(x, r1), g.rotr(x, r2)), g.shr(x, s));
  for (let t = 0; t < 64; t++) {
    if (t >= 16) w[t] = g.add(small(w[t - 2]!, 17, 19, 10), w[t - 7]!, small(w[t - 15]!, 7, 18, 3), w[t - 16]!);
    const t1 = g.add(h, big(e, 6, 11, 25), g.select(f, gg, e), { c: K[t]! }, w[t]!);
    // Maj(a, b, c) = b where a = b, c where they differ
    const t2 = g.add(big(a, 2, 13, 22), g.select(c, b, g.xor(a, b)));
    h = gg;
    gg = f;
    f = e;
    e = g.add(d, t1);
    d = c;
    c = b;
    b = a;
    a = g.add(t1, t2);
  }
  return [a, b, c, d, e, f, gg, h].map((x, i) => g.add(x, init[i]!));
}

/** The module's bytes: one export `level(src: i32, dst: i32, groups: i32)` over an imported memory `e.m`. */
export function sha256x4Module(): Uint8Array {
  const SRC = 0;
  const DST = 1;
  const N = 2;
  const g = new Gen();
  // block 1: 0x01 || left || right[0..31); block 2: right[31] || 0x80 || 0 … || bit length 520
  const words = Array.from({ length: 16 }, (_, i) => g.gather(SRC, 4 * i));
  const mid = compress(g, IV.map((c) => ({ c })), words);
  // byte 64 is the top byte of the little-endian word at 61
  const last = g.or(g.and(g.gather(SRC, 61, true), { c: 0xff000000 }), { c: 0x00800000 });
  const pad: Val[] = [last, ...Array.from({ length: 14 }, () => ({ c: 0 })), { c: PRE * 8 }];
  const digest = compress(g, mid, pad);
  digest.forEach((v, i) => g.scatter(v, DST, 4 * i));

  // while (groups != 0) { body; src += 4 × 65; dst += 2 × 65; groups-- }
  const body = [
    op.block, 0x40, op.loop, 0x40,
    op.localGet, N, op.i32Eqz, op.brIf, 1,
    ...g.code,
    op.localGet, SRC, op.i32Const, ...sleb(4 * PRE), op.i32Add, op.localSet, SRC,
    op.localGet, DST, op.i32Const, ...sleb(2 * PRE), op.i32Add, op.localSet, DST,
    op.localGet, N, op.i32Const, 1, op.i32Sub, op.localSet, N, op.br, 0,
    op.end, op.end, op.end,
  ];
  const fn = [...vec([[...uleb(g.locals), 0x7b]]), ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[0x7f], [0x7f], [0x7f]]), 0x00]])), // type: (i32 i32 i32) -> ()
    ...section(2, vec([[...name("e"), ...name("m"), 0x02, 0x00, 0x01]])), // import memory e.m, min 1 page
    ...section(3, vec([[0x00]])), // one function of type 0
    ...section(7, vec([[...name("level"), 0x00, 0x00]])), // export it
    ...section(10, vec([[...uleb(fn.length), ...fn]])),
  ]);
}

/** The few WebAssembly JS API members used here (the project's TypeScript libs do not declare the global). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

/** bytes per WebAssembly memory page */
export const WASM_PAGE = 65536;

/** One instance of the four-lane module over its own growable memory. */
export interface Sha256x4 {
  readonly memory: WasmMemory;
  /** hashes 4 × groups parents from src into the next level at dst (offsets in memory; see the module comment) */
  readonly level: (src: number, dst: number, groups: number) => void;
}

let compiled: object | null | undefined;

/** A new instance, or null where this runtime has no WebAssembly SIMD (the module is compiled once per thread). */
export function sha256x4(): Sha256x4 | null {
  const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return null;
  if (compiled === undefined) {
    const bytes = sha256x4Module();
    compiled = wasm.validate(bytes) ? new wasm.Module(bytes) : null;
  }
  if (compiled === null) return null;
  const memory = new wasm.Memory({ initial: 1 });
  const instance = new wasm.Instance(compiled, { e: { m: memory } });
  return { memory, level: instance.exports.level as Sha256x4["level"] };
}
