/**
 * Tolerance rules (docs/SPEC.md §6): a claimed float32 output is acceptable iff every opened value is finite
 * and the claimed value lies within the sound IEEE-754 bound of the exact result, evaluated here in exact
 * bigint arithmetic (no truncation; the Solidity twin truncates soundly, see SPEC §6.1).
 */
import { decode, isFiniteBits, type Dyadic } from "./float32.js";

/** u = 2^-24; the dot-product bound uses γ_K = K·u/(1 − K·u). */
export const MAX_TERMS = 2 ** 24 - 1;
/** Absolute term per op/term: 2^-126 (covers underflow and flush-to-zero). */
export const ABS_EXP = -126;

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "non-finite" | "out-of-bound" | "bad-input"; readonly detail: string };

const OK: Verdict = { ok: true };
const abs = (v: bigint) => (v < 0n ? -v : v);

/** Brings dyadics to a common exponent e (the smallest), returning integers at that scale. */
function align(values: readonly Dyadic[], e: number): bigint[] {
  return values.map((v) => v.m << BigInt(v.e - e));
}

function nonFinite(bits: readonly number[]): string | null {
  for (const b of bits) if (!isFiniteBits(b)) return `0x${(b >>> 0).toString(16).padStart(8, "0")}`;
  return null;
}

/** The exact products a_i·b_i, or the verdict for malformed or non-finite inputs (shared by both dot rules). */
function exactProducts(a: readonly number[], b: readonly number[], claimed: number): Dyadic[] | Verdict {
  if (a.length !== b.length) return { ok: false, reason: "bad-input", detail: `a has ${a.length} terms, b has ${b.length}` };
  const K = a.length;
  if (K < 1 || K > MAX_TERMS) return { ok: false, reason: "bad-input", detail: `K = ${K} terms outside [1, 2^24)` };
  const bad = nonFinite([...a, ...b, claimed]);
  if (bad) return { ok: false, reason: "non-finite", detail: `opened value ${bad}` };
  return a.map((ai, i) => {
    const x = decode(ai);
    const y = decode(b[i]!);
    return { m: x.m * y.m, e: x.e + y.e };
  });
}

/**
 * Both sides of the integer inequality of the last checkDot call that reached it (for the vector generator,
 * which keeps only boundary cases that are far from the edge compared with the Solidity twin's truncation).
 */
export let lastDotMargin: { lhs: bigint; rhs: bigint } | null = null;

/**
 * Dot-product rule (SPEC §6.1): r = Σ a_i·b_i over K terms, accept iff
 * |c − r| <= γ_K·Σ|a_i·b_i| + K·2^-126.
 */
export function checkDot(a: readonly number[], b: readonly number[], claimed: number): Verdict {
  const products = exactProducts(a, b, claimed);
  if (!Array.isArray(products)) return products as Verdict;
  const K = products.length;
  const c = decode(claimed);
  const e = Math.min(ABS_EXP, c.e, ...products.map((p) => p.e));
  const terms = align(products, e);
  let r = 0n;
  let S = 0n;
  for (const t of terms) {
    r += t;
    S += abs(t);
  }
  const cs = c.m << BigInt(c.e - e);
  const absTerm = BigInt(K) << BigInt(ABS_EXP - e);
  const W = 1n << 24n;
  const Kb = BigInt(K);
  // (2^24 − K)·|c − r| <= K·S + (2^24 − K)·K·2^-126
  const lhs = (W - Kb) * abs(cs - r);
  const rhs = Kb * S + (W - Kb) * absTerm;
  lastDotMargin = { lhs, rhs };
  if (lhs <= rhs) return OK;
  return { ok: false, reason: "out-of-bound", detail: `dot product of ${K} terms: claimed value outside γ_K bound` };
}

export type ElementwiseOp = "add" | "mul" | "relu" | "copy" | "dropoutKeep";

export interface ElementwiseCase {
  readonly op: ElementwiseOp;
  readonly inputs: readonly number[];
  readonly num?: number;
  readonly den?: number;
}

const ARITY: Record<ElementwiseOp, number> = { add: 2, mul: 2, relu: 1, copy: 1, dropoutKeep: 1 };

/** The exact result of an elementwise op as a rational p/q (q > 0) over dyadics. */
function exactElementwise(c: ElementwiseCase): { p: Dyadic; q: bigint } {
  const [x, y] = c.inputs.map(decode) as [Dyadic, Dyadic | undefined];
  switch (c.op) {
    case "add": {
      const e = Math.min(x.e, y!.e);
      const [a, b] = align([x, y!], e) as [bigint, bigint];
      return { p: { m: a + b, e }, q: 1n };
    }
    case "mul":
      return { p: { m: x.m * y!.m, e: x.e + y!.e }, q: 1n };
    case "relu":
      return { p: x.m > 0n ? x : { m: 0n, e: x.e }, q: 1n };
    case "copy":
      return { p: x, q: 1n };
    case "dropoutKeep": {
      const num = BigInt(c.num ?? NaN);
      const den = BigInt(c.den ?? NaN);
      return { p: { m: x.m * den, e: x.e }, q: den - num };
    }
  }
}

/** Elementwise rule (SPEC §6.2): accept iff |c − r| <= 2^-23·|r| + 2^-126. */
export function checkElementwise(op: ElementwiseCase, claimed: number): Verdict {
  if (op.inputs.length !== ARITY[op.op]) {
    return { ok: false, reason: "bad-input", detail: `${op.op} takes ${ARITY[op.op]} inputs, got ${op.inputs.length}` };
  }
  if (op.op === "dropoutKeep") {
    const { num, den } = op;
    if (num === undefined || den === undefined || !Number.isInteger(num) || !Number.isInteger(den) || num < 0 || den <= num || den >= 2 ** 32) {
      return { ok: false, reason: "bad-input", detail: `dropout rate ${num}/${den} invalid` };
    }
  }
  const bad = nonFinite([...op.inputs, claimed]);
  if (bad) return { ok: false, reason: "non-finite", detail: `opened value ${bad}` };
  const { p, q } = exactElementwise(op);
  const c = decode(claimed);
  // scale everything by 2^-(e) with e small enough for 2^-23 and 2^-126 terms to be integers
  const e = Math.min(p.e - 23, c.e, ABS_EXP);
  const P = p.m << BigInt(p.e - e); // r·q at scale
  const C = c.m << BigInt(c.e - e);
  const relBound = abs(P) >> 23n; // exact: p.e − e >= 23
  const absBound = q << BigInt(ABS_EXP - e);
  // |c·q − r·q| <= 2^-23·|r·q| + 2^-126·q
  if (abs(C * q - P) <= relBound + absBound) return OK;
  return { ok: false, reason: "out-of-bound", detail: `${op.op}: claimed value outside 2^-23·|r| + 2^-126` };
}

/**
 * The dot-product rule exactly as the contracts evaluate it (SPEC §6.1 integer evaluation with truncation at
 * base = maxExp − 150; the twin of LibTolerance._dotAccepts). It accepts everything `checkDot` accepts and at
 * most a few units of 2^base more. A challenger decides with this function: it opens a game only on a value the
 * contract will reject.
 */
export function checkDotOnchain(a: readonly number[], b: readonly number[], claimed: number): Verdict {
  const products = exactProducts(a, b, claimed);
  if (!Array.isArray(products)) return products as Verdict;
  const K = products.length;
  const maxExp = Math.max(...products.map((p) => p.e));
  const base = maxExp - 150;
  const trunc = (m: bigint, e: number): bigint => {
    const mag = abs(m);
    const t = e >= base ? mag << BigInt(e - base) : mag >> BigInt(base - e);
    return m < 0n ? -t : t;
  };
  let rt = 0n;
  let st = 0n;
  for (const p of products) {
    const t = trunc(p.m, p.e);
    rt += t;
    st += abs(t);
  }
  const Kb = BigInt(K);
  const Q = (Kb * (st + Kb)) / ((1n << 24n) - Kb);
  const sa = ABS_EXP - base;
  const A = (sa >= 0 ? Kb << BigInt(sa) : (Kb + (1n << BigInt(-sa)) - 1n) >> BigInt(-sa)) + Kb + 1n;
  const c = decode(claimed);
  const ct = trunc(c.m, c.e);
  if (abs(ct - rt) <= A + Q) return OK;
  return { ok: false, reason: "out-of-bound", detail: `dot product of ${K} terms: claimed value outside the on-chain γ_K bound` };
}
