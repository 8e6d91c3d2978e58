/**
 * Shared vectors for the softmax and cross-entropy-loss rules (docs/SPEC.md §6.4): `vectors/transcendental.json`.
 * Deterministic (fixed-seed xorshift, no clock, no Math.random). Every case is either decided before the bound
 * (NaN/Inf, C = 0, bad label, |c| far out) or lies farther than 2^-40·(bound) and farther than 2^-100 (absolute) from
 * it, so every implementation within the SPEC's error allowance gives the same verdict.
 */
import { bitsOf, nextDown, nextUp } from "./float32.js";
import {
  checkSoftmax,
  checkXentLoss,
  softmaxRowF32,
  softmaxRowFloat32Only,
  transcendentalMargin,
  xentLossF32,
  xentLossFloat32Only,
} from "./transcendental.js";

export interface SoftmaxVector {
  readonly name: string;
  /** float32 bits of the row */
  readonly row: number[];
  readonly j: number;
  /** float32 bits */
  readonly claimed: number;
  readonly accept: boolean;
}

export interface LossVector {
  readonly name: string;
  readonly row: number[];
  /** float32 bits of the label */
  readonly label: number;
  readonly claimed: number;
  readonly accept: boolean;
}

export interface TranscendentalVectors {
  readonly description: string;
  readonly softmax: SoftmaxVector[];
  readonly loss: LossVector[];
}

/** Relative distance from the bound below which a case is not published (SPEC §6.4). */
export const VECTOR_MIN_MARGIN = 2 ** -40;
/** Absolute distance from the bound below which a case is not published (SPEC §6.4). */
export const VECTOR_MIN_ABS_MARGIN = 2 ** -100;

/**
 * The softmax bound p_j·(2^-20 + 2^-23·(|d_j| + W + C)) + 2^-126 evaluated in binary64 (relative error ~2^-45):
 * a starting point for edge searches and test offsets, never a verdict.
 */
export function softmaxBoundF64(row: Float32Array, j: number): number {
  let m = -Infinity;
  for (const z of row) if (z > m) m = z;
  const e = Array.from(row, (z) => Math.exp(z - m));
  const s = e.reduce((a, b) => a + b, 0);
  let w = 0;
  for (let k = 0; k < row.length; k++) w += (e[k]! / s) * (m - row[k]!);
  const pj = e[j]! / s;
  return pj * (2 ** -20 + 2 ** -23 * (m - row[j]! + w + row.length)) + 2 ** -126;
}

/** The loss bound 2^-20·ℓ + (C + 3)·2^-24 + 2^-126 in binary64, for ℓ = xentLossF32 (edge searches, offsets). */
export function lossBoundF64(row: Float32Array, y: number): number {
  return 2 ** -20 * xentLossF32(row, y) + (row.length + 3) * 2 ** -24 + 2 ** -126;
}

/** Deterministic xorshift32 in [0, 1). */
export function xorshift(seed: number): () => number {
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

const fr = Math.fround;
const NAN = 0x7fc00000;
const INF = 0x7f800000;
const NEG_INF = 0xff800000;

/** Named test rows (float32 values). */
export function vectorRows(): { name: string; row: Float32Array }[] {
  const r = xorshift(0x5eed6a);
  const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => fr((r() * 2 - 1) * scale));
  const tiny = Float32Array.from([1, 1 + 2 ** -23, 1 - 2 ** -24, 1 + 2 ** -22, 1]);
  const dominant = new Float32Array(10).fill(0);
  dominant[3] = 30;
  return [
    { name: "C=2", row: Float32Array.from([0.5, -0.25]) },
    { name: "C=10 logits in ±3", row: rand(10, 3) },
    { name: "C=16 logits in ±8", row: rand(16, 8) },
    { name: "C=10 logits in ±80", row: rand(10, 80) },
    { name: "C=12 logits in ±0.01", row: rand(12, 0.01) },
    { name: "one dominant logit", row: dominant },
    { name: "all equal", row: new Float32Array(7).fill(fr(-1.7)) },
    { name: "tiny differences", row: tiny },
    { name: "C=1", row: Float32Array.from([fr(12.5)]) },
    { name: "huge logits", row: Float32Array.from([1e38, -1e38, 3e37, fr(1e38)].map(fr)) },
    { name: "subnormal and signed-zero logits", row: Float32Array.from([2 ** -149, 0, -(2 ** -149), -0, 2 ** -140].map(fr)) },
    { name: "C=3 with a -120 gap", row: Float32Array.from([5, -115, 4.5]) },
  ];
}

/** Largest accepted float32 at or below the upper edge (and the first rejected one), searching from `start`. */
function edge(check: (c: number) => boolean, start: number, up: boolean): { inside: number; outside: number } | null {
  const step = up ? nextUp : nextDown;
  const back = up ? nextDown : nextUp;
  let c = start;
  for (let i = 0; i < 64 && !check(c); i++) c = back(c);
  if (!check(c)) return null;
  for (let i = 0; i < 64 && check(step(c)); i++) c = step(c);
  if (check(step(c))) return null;
  return { inside: c, outside: step(c) };
}

/** Whether a bound-decided case lies far enough from the bound to be published (SPEC §6.4). */
export function farFromBound(kind: "softmax" | "loss", row: number[], idx: number, claimed: number): boolean {
  const m = transcendentalMargin(kind, row, idx, claimed);
  return Math.abs(m.relative) > VECTOR_MIN_MARGIN && Math.abs(m.absolute) > VECTOR_MIN_ABS_MARGIN;
}

/** The vector set (deterministic). */
export function makeTranscendentalVectors(): TranscendentalVectors {
  const softmax: SoftmaxVector[] = [];
  const loss: LossVector[] = [];

  const addS = (name: string, row: number[], j: number, claimed: number) => {
    const v = checkSoftmax(row, j, claimed);
    const boundDecided = v.ok || v.reason === "out-of-bound";
    if (boundDecided && row.length > 0 && j < row.length && !farFromBound("softmax", row, j, claimed)) return;
    softmax.push({ name, row, j, claimed: claimed >>> 0, accept: v.ok });
  };
  const addL = (name: string, row: number[], label: number, claimed: number) => {
    const v = checkXentLoss(row, label, claimed);
    if ((v.ok || v.reason === "out-of-bound") && !farFromBound("loss", row, label, claimed)) return;
    loss.push({ name, row, label: label >>> 0, claimed: claimed >>> 0, accept: v.ok });
  };

  for (const { name, row } of vectorRows()) {
    const bits = Array.from(row, bitsOf);
    const p = softmaxRowF32(row);
    const p32 = softmaxRowFloat32Only(row);
    const js = [...new Set([0, row.length - 1, Math.floor(row.length / 2)])];
    for (const j of js) {
      const pj = p[j]!;
      const b = softmaxBoundF64(row, j);
      addS(`${name}: honest p[${j}] (binary64)`, bits, j, bitsOf(pj));
      addS(`${name}: honest p[${j}] (float32 only)`, bits, j, bitsOf(p32[j]!));
      addS(`${name}: p[${j}]·(1 + 2^-12)`, bits, j, bitsOf(fr(pj * (1 + 2 ** -12))));
      addS(`${name}: p[${j}]·(1 − 2^-12)`, bits, j, bitsOf(fr(pj * (1 - 2 ** -12))));
      const check = (c: number) => checkSoftmax(bits, j, bitsOf(c)).ok;
      const hi = edge(check, fr(pj + b), true);
      if (hi) {
        addS(`${name}: p[${j}] last float32 inside the upper bound`, bits, j, bitsOf(hi.inside));
        addS(`${name}: p[${j}] first float32 above the upper bound`, bits, j, bitsOf(hi.outside));
      }
      const lo = edge(check, fr(pj - b), false);
      if (lo) addS(`${name}: p[${j}] first float32 below the lower bound`, bits, j, bitsOf(lo.outside));
    }
    const y = row.length - 1;
    const l = xentLossF32(row, y);
    const yb = bitsOf(y);
    const lb = lossBoundF64(row, y);
    addL(`${name}: honest loss (binary64), label ${y}`, bits, yb, bitsOf(l));
    addL(`${name}: honest loss (float32 only), label ${y}`, bits, yb, bitsOf(xentLossFloat32Only(row, y)));
    addL(`${name}: loss + 2·bound, label ${y}`, bits, yb, bitsOf(fr(l + 2 * lb)));
    if (row.length > 1) {
      const l0 = xentLossF32(row, 0);
      addL(`${name}: honest loss (binary64), label 0`, bits, bitsOf(0), bitsOf(l0));
      addL(`${name}: honest loss (float32 only), label 0`, bits, bitsOf(0), bitsOf(xentLossFloat32Only(row, 0)));
      addL(`${name}: loss − 2·bound, label 0`, bits, bitsOf(0), bitsOf(fr(l0 - 2 * lossBoundF64(row, 0))));
    }
    const checkL = (c: number) => checkXentLoss(bits, yb, bitsOf(c)).ok;
    const hi = edge(checkL, fr(l + lb), true);
    if (hi) {
      addL(`${name}: label ${y}, last float32 inside the upper bound`, bits, yb, bitsOf(hi.inside));
      addL(`${name}: label ${y}, first float32 above the upper bound`, bits, yb, bitsOf(hi.outside));
    }
    const lo = edge(checkL, fr(l - lb), false);
    if (lo) addL(`${name}: label ${y}, first float32 below the lower bound`, bits, yb, bitsOf(lo.outside));
  }

  // Special values and absolute-term cases.
  const base = [0.5, -1.25, 2, 0.125].map(fr);
  const bb = base.map(bitsOf);
  const pb = softmaxRowF32(Float32Array.from(base));
  addS("NaN in the row", [bb[0]!, NAN, bb[2]!, bb[3]!], 0, bitsOf(pb[0]!));
  addS("+Inf in the row", [bb[0]!, INF, bb[2]!, bb[3]!], 0, bitsOf(pb[0]!));
  addS("-Inf in the row", [bb[0]!, NEG_INF, bb[2]!, bb[3]!], 0, bitsOf(pb[0]!));
  addS("claimed NaN", bb, 2, NAN);
  addS("claimed +Inf", bb, 2, INF);
  addS("empty row (C = 0)", [], 0, bitsOf(1));
  addS("claimed 2.0", bb, 2, bitsOf(2));
  addS("claimed 4.0 (rejected before the bound)", bb, 2, bitsOf(4));
  addS("claimed -0.25", bb, 2, bitsOf(-0.25));
  addS("claimed 0 for a moderate p", bb, 1, bitsOf(0));
  addS("C=1: claimed 1.0", [bitsOf(-7)], 0, bitsOf(1));
  addS("C=1: claimed 1 − 2^-24", [bitsOf(-7)], 0, bitsOf(1 - 2 ** -24));
  addS("C=1: claimed 1 − 2^-18 (bound 2^-20 + 2^-23)", [bitsOf(-7)], 0, bitsOf(1 - 2 ** -18));
  addS("C=1: claimed 1 − 2^-20", [bitsOf(-7)], 0, bitsOf(1 - 2 ** -20));
  const gap = [bitsOf(100), bitsOf(-100)]; // p_1 = e^-200 ≈ 2^-288: only the 2^-126 term matters
  addS("p ≈ 2^-288: claimed 0", gap, 1, bitsOf(0));
  addS("p ≈ 2^-288: claimed -0", gap, 1, 0x80000000);
  addS("p ≈ 2^-288: claimed -2^-127", gap, 1, bitsOf(-(2 ** -127)));
  addS("p ≈ 2^-288: claimed 2^-126·(1 − 2^-10)", gap, 1, bitsOf(2 ** -126 * (1 - 2 ** -10)));
  addS("p ≈ 2^-288: claimed 2^-126·(1 + 2^-10)", gap, 1, bitsOf(2 ** -126 * (1 + 2 ** -10)));
  addS("p ≈ 2^-288: claimed -2^-125", gap, 1, bitsOf(-(2 ** -125)));
  addS("p ≈ 1 − 2^-288: claimed 1.0", gap, 0, bitsOf(1));

  const lb = bitsOf(2);
  const lossRef = xentLossF32(Float32Array.from(base), 2);
  addL("label -0 counts as 0", bb, 0x80000000, bitsOf(xentLossF32(Float32Array.from(base), 0)));
  addL("label 1.5 (not an integer)", bb, bitsOf(1.5), bitsOf(lossRef));
  addL("label 4 = C (out of range)", bb, bitsOf(4), bitsOf(lossRef));
  addL("label -1", bb, bitsOf(-1), bitsOf(lossRef));
  addL("label 2^-149", bb, 1, bitsOf(lossRef));
  addL("label NaN", bb, NAN, bitsOf(lossRef));
  addL("label +Inf", bb, INF, bitsOf(lossRef));
  addL("NaN in the row", [bb[0]!, bb[1]!, NAN, bb[3]!], lb, bitsOf(lossRef));
  addL("claimed NaN", bb, lb, NAN);
  addL("claimed -Inf", bb, lb, NEG_INF);
  addL("empty row (C = 0)", [], bitsOf(0), bitsOf(0));
  addL("claimed 2^60", bb, lb, bitsOf(2 ** 60));
  addL("negative claimed loss", bb, lb, bitsOf(-lossRef));
  // C = 1: ℓ = 0 and the bound is (1 + 3)·2^-24 + 2^-126 = 2^-22 + 2^-126
  addL("C=1: claimed 0", [bitsOf(3)], bitsOf(0), bitsOf(0));
  addL("C=1: claimed 2^-22·(1 − 2^-10)", [bitsOf(3)], bitsOf(0), bitsOf(2 ** -22 * (1 - 2 ** -10)));
  addL("C=1: claimed 2^-22·(1 + 2^-10)", [bitsOf(3)], bitsOf(0), bitsOf(2 ** -22 * (1 + 2 ** -10)));
  addL("C=1: claimed -2^-22·(1 + 2^-10)", [bitsOf(3)], bitsOf(0), bitsOf(-(2 ** -22) * (1 + 2 ** -10)));
  // ℓ = log1p(e^-200) ≈ 2^-288 for the winning label, ≈ 200 for the losing one; C = 2: absolute term 5·2^-24
  addL("confident row, winning label: claimed 0", gap, bitsOf(0), bitsOf(0));
  addL("confident row, winning label: claimed 2^-22", gap, bitsOf(0), bitsOf(2 ** -22));
  addL("confident row, winning label: claimed 2^-21", gap, bitsOf(0), bitsOf(2 ** -21));
  addL("confident row, losing label: honest 200", gap, bitsOf(1), bitsOf(xentLossF32(Float32Array.from([100, -100]), 1)));
  addL("confident row, losing label: 200·(1 + 2^-18)", gap, bitsOf(1), bitsOf(fr(200 * (1 + 2 ** -18))));
  // ℓ = log1p(e^-24) ≈ 3.8e-11: the float32-only value (log of a float32 sum that rounds to 1) is 0
  const conf = [bitsOf(12), bitsOf(-12)];
  const lc = xentLossF32(Float32Array.from([12, -12]), 0);
  addL("confident row ℓ ≈ 3.8e-11: honest (binary64)", conf, bitsOf(0), bitsOf(lc));
  addL("confident row ℓ ≈ 3.8e-11: honest (float32 only, 0)", conf, bitsOf(0), bitsOf(xentLossFloat32Only(Float32Array.from([12, -12]), 0)));
  addL("confident row ℓ ≈ 3.8e-11: ℓ + 2^-22 (inside 5·2^-24)", conf, bitsOf(0), bitsOf(fr(lc + 2 ** -22)));
  addL("confident row ℓ ≈ 3.8e-11: ℓ + 2^-21 (outside)", conf, bitsOf(0), bitsOf(fr(lc + 2 ** -21)));
  addL("confident row ℓ ≈ 3.8e-11: ℓ − 2^-21 (outside)", conf, bitsOf(0), bitsOf(fr(lc - 2 ** -21)));

  return {
    description:
      "SPEC §6.4 softmax / cross-entropy-loss cases; float32 values as u32 bits; generated by packages/core/src/transcendental-vectors.ts",
    softmax,
    loss,
  };
}
