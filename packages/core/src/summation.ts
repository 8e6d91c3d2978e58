/**
 * Float32 dot products in different evaluation orders, and helpers to find the edge of a tolerance bound.
 * Used by tests and by the vector generator to show that the bound of SPEC §6.1 accepts every honest order.
 */
import { bitsOf, fromBits } from "./float32.js";

const fr = Math.fround;

export type SummationOrder = "sequential-f32" | "reverse-f32" | "pairwise-f32" | "f64-then-round" | "blocked8-f32" | "fma-like-f32";

export const SUMMATION_ORDERS: readonly SummationOrder[] = [
  "sequential-f32",
  "reverse-f32",
  "pairwise-f32",
  "f64-then-round",
  "blocked8-f32",
  "fma-like-f32",
];

function pairwise(p: number[]): number {
  if (p.length === 1) return p[0]!;
  const mid = p.length >> 1;
  return fr(pairwise(p.slice(0, mid)) + pairwise(p.slice(mid)));
}

/** Σ a_i·b_i in float32 with the given order (products rounded to float32 except where noted). */
export function dotF32(a: readonly number[], b: readonly number[], order: SummationOrder): number {
  const prods = a.map((x, i) => fr(x * b[i]!));
  switch (order) {
    case "sequential-f32":
      return prods.reduce((s, p) => fr(s + p), 0);
    case "reverse-f32":
      return prods.reduceRight((s, p) => fr(s + p), 0);
    case "pairwise-f32":
      return pairwise(prods);
    case "f64-then-round":
      return fr(a.reduce((s, x, i) => s + x * b[i]!, 0));
    case "blocked8-f32": {
      const lanes = new Array<number>(8).fill(0);
      prods.forEach((p, i) => (lanes[i % 8] = fr(lanes[i % 8]! + p)));
      return lanes.reduce((s, l) => fr(s + l), 0);
    }
    case "fma-like-f32":
      // fused multiply-add: the exact product is added, one rounding per step (binary64 holds a float32 product exactly)
      return a.reduce((s, x, i) => fr(s + x * b[i]!), 0);
  }
}

/** Maps float32 bits to an integer order that is monotone in the float value (finite values). */
export function orderedKey(bits: number): number {
  const b = bits >>> 0;
  return b & 0x80000000 ? 0x7fffffff - (b & 0x7fffffff) : 0x80000000 + b;
}

export function fromOrderedKey(k: number): number {
  return k >= 0x80000000 ? (k - 0x80000000) >>> 0 : (0x80000000 | (0x7fffffff - k)) >>> 0;
}

/**
 * Smallest float32 above `start` for which `accepts` is false, given that `accepts(start)` is true and
 * acceptance is monotone above start (galloping, then binary search over the value order).
 */
export function firstRejectedAbove(start: number, accepts: (bits: number) => boolean, guess: number): number {
  let a = orderedKey(bitsOf(start)); // accepted
  let z = Math.max(orderedKey(bitsOf(guess)), a + 1);
  let step = 1;
  while (accepts(fromOrderedKey(z))) {
    a = z;
    z = a + step;
    step *= 2;
  }
  while (z - a > 1) {
    const m = a + Math.floor((z - a) / 2);
    if (accepts(fromOrderedKey(m))) a = m;
    else z = m;
  }
  return fromBits(fromOrderedKey(z));
}
