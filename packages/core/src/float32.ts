/** Exact float32 decoding (docs/SPEC.md §6.3): every finite float32 is m·2^e with integer m, e. */

/** A dyadic rational: value = m · 2^e (m signed). */
export interface Dyadic {
  readonly m: bigint;
  readonly e: number;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

export function fromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

export function isFiniteBits(bits: number): boolean {
  return ((bits >>> 23) & 0xff) !== 0xff;
}

export function isNaNBits(bits: number): boolean {
  return ((bits >>> 23) & 0xff) === 0xff && (bits & 0x7fffff) !== 0;
}

export function isZeroBits(bits: number): boolean {
  return (bits & 0x7fffffff) === 0;
}

export class NonFiniteError extends Error {
  constructor(readonly bits: number) {
    super(`float32 0x${(bits >>> 0).toString(16).padStart(8, "0")} is not finite`);
    this.name = "NonFiniteError";
  }
}

/** Exact value of a finite float32 given by its bits. Subnormals: m·2^-149. */
export function decode(bits: number): Dyadic {
  const b = bits >>> 0;
  const exp = (b >>> 23) & 0xff;
  const frac = b & 0x7fffff;
  if (exp === 0xff) throw new NonFiniteError(b);
  const sign = b >>> 31 ? -1n : 1n;
  if (exp === 0) return { m: sign * BigInt(frac), e: -149 };
  return { m: sign * BigInt(frac | 0x800000), e: exp - 150 };
}

/** Next float32 away from zero / toward +inf etc. by bit stepping (finite values). */
export function nextUp(x: number): number {
  const b = bitsOf(x);
  if (x === 0) return fromBits(1);
  return fromBits(x > 0 ? b + 1 : b - 1);
}

export function nextDown(x: number): number {
  return -nextUp(-x);
}
