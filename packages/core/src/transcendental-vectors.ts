/**
 * Shared vectors for the softmax and cross-entropy-loss rules (docs/SPEC.md §6.4): `vectors/transcendental.json`.
 * Deterministic (fixed-seed xorshift, no clock, no Math.random). Every case is either decided before the bound
 * (NaN/Inf, C = 0, bad label, |c| far out) or lies farther than 2^-40 (relative to the bound) from it, so every
 * implementation within the SPEC's error allowance gives the same verdict.
 */
import { bitsOf, nextDown, nextUp } from "./float32.js";
import {
  checkSoftmax,
  checkXentLoss,
  softmaxRowF32,
  transcendentalMargin,
  xentLossF32,
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

function farFromBound(kind: "softmax" | "loss", row: number[], idx: number, claimed: number): boolean {
  const m = transcendentalMargin(kind, row, idx, claimed);
  return Math.abs(m) > VECTOR_MIN_MARGIN;
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
    const js = [...new Set([0, row.length - 1, Math.floor(row.length / 2)])];
    for (const j of js) {
      const pj = p[j]!;
      addS(`${name}: honest p[${j}]`, bits, j, bitsOf(pj));
      addS(`${name}: p[${j}]·(1 + 2^-19)`, bits, j, bitsOf(fr(pj * (1 + 2 ** -19))));
      addS(`${name}: p[${j}]·(1 − 2^-18)`, bits, j, bitsOf(fr(pj * (1 - 2 ** -18))));
      const check = (c: number) => checkSoftmax(bits, j, bitsOf(c)).ok;
      const hi = edge(check, fr(pj * (1 + 2 ** -20) + 2 ** -126), true);
      if (hi) {
        addS(`${name}: p[${j}] last float32 inside the upper bound`, bits, j, bitsOf(hi.inside));
        addS(`${name}: p[${j}] first float32 above the upper bound`, bits, j, bitsOf(hi.outside));
      }
      const lo = edge(check, fr(pj * (1 - 2 ** -20) - 2 ** -126), false);
      if (lo) addS(`${name}: p[${j}] first float32 below the lower bound`, bits, j, bitsOf(lo.outside));
    }
    const y = row.length - 1;
    const l = xentLossF32(row, y);
    const yb = bitsOf(y);
    addL(`${name}: honest loss, label ${y}`, bits, yb, bitsOf(l));
    addL(`${name}: loss·(1 + 2^-19), label ${y}`, bits, yb, bitsOf(fr(l * (1 + 2 ** -19))));
    if (row.length > 1) {
      const l0 = xentLossF32(row, 0);
      addL(`${name}: honest loss, label 0`, bits, bitsOf(0), bitsOf(l0));
      addL(`${name}: loss·(1 − 2^-18), label 0`, bits, bitsOf(0), bitsOf(fr(l0 * (1 - 2 ** -18))));
    }
    const checkL = (c: number) => checkXentLoss(bits, yb, bitsOf(c)).ok;
    const hi = edge(checkL, fr(l * (1 + 2 ** -20) + 2 ** -126), true);
    if (hi) {
      addL(`${name}: label ${y}, last float32 inside the upper bound`, bits, yb, bitsOf(hi.inside));
      addL(`${name}: label ${y}, first float32 above the upper bound`, bits, yb, bitsOf(hi.outside));
    }
    const lo = edge(checkL, fr(l * (1 - 2 ** -20) - 2 ** -126), false);
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
  addS("claimed -0.25", bb, 2, bitsOf(-0.25));
  addS("claimed 0 for a moderate p", bb, 1, bitsOf(0));
  addS("C=1: claimed 1.0", [bitsOf(-7)], 0, bitsOf(1));
  addS("C=1: claimed 1 − 2^-24", [bitsOf(-7)], 0, bitsOf(1 - 2 ** -24));
  addS("C=1: claimed 1 − 2^-18", [bitsOf(-7)], 0, bitsOf(1 - 2 ** -18));
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
  addL("C=1: claimed 0", [bitsOf(3)], bitsOf(0), bitsOf(0));
  addL("C=1: claimed 2^-126", [bitsOf(3)], bitsOf(0), bitsOf(2 ** -126));
  addL("C=1: claimed 2^-125", [bitsOf(3)], bitsOf(0), bitsOf(2 ** -125));
  // ℓ = log1p(e^-200) ≈ 2^-288 for the winning label, ≈ 200 for the losing one
  addL("confident row, winning label: claimed 0", gap, bitsOf(0), bitsOf(0));
  addL("confident row, winning label: claimed 2^-125", gap, bitsOf(0), bitsOf(2 ** -125));
  addL("confident row, losing label: honest 200", gap, bitsOf(1), bitsOf(xentLossF32(Float32Array.from([100, -100]), 1)));
  // ℓ = log1p(e^-24) ≈ 3.8e-11: accuracy relative to a tiny loss
  const conf = [bitsOf(12), bitsOf(-12)];
  const lc = xentLossF32(Float32Array.from([12, -12]), 0);
  addL("confident row ℓ ≈ 3.8e-11: honest", conf, bitsOf(0), bitsOf(lc));
  addL("confident row ℓ ≈ 3.8e-11: ·(1 + 2^-19)", conf, bitsOf(0), bitsOf(fr(lc * (1 + 2 ** -19))));
  addL("confident row ℓ ≈ 3.8e-11: ·(1 − 2^-19)", conf, bitsOf(0), bitsOf(fr(lc * (1 - 2 ** -19))));
  addL("confident row: claimed 0 (too small)", conf, bitsOf(0), bitsOf(0));

  return {
    description:
      "SPEC §6.4 softmax / cross-entropy-loss cases; float32 values as u32 bits; generated by packages/core/src/transcendental-vectors.ts",
    softmax,
    loss,
  };
}
