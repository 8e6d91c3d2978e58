/**
 * Softmax and cross-entropy-loss acceptance rules (docs/SPEC.md §6.4), evaluated in fixed point with bigint.
 *
 * The Solidity twin `contracts/lib/LibTranscendental.sol` runs the *same* integer algorithm step for step (every
 * intermediate fits in 256 bits, see the bounds below), so both sides give the same verdict on every input, not
 * only on the shared vectors; `test/contracts/transcendental-vectors.test.ts` checks this.
 *
 * ## The rule
 * Row z[0..C), m = max z, d_k = z_k − m <= 0 (exact), D_k = −d_k >= 0, s = Σ exp(d_k) ∈ [1, C], p_k = exp(d_k)/s,
 * W = Σ_k p_k·D_k (W = H − log s <= log C, H the entropy of p: W < 17 for C < 2^24).
 *   softmax  accept c iff |c − p_j| <= p_j·(2^-20 + 2^-23·(D_j + W + C)) + 2^-126
 *   loss     ℓ = log s + D_y;  accept c iff |c − ℓ| <= 2^-20·ℓ + (C + 3)·2^-24 + 2^-126   (log s + |d_y| = ℓ)
 * NaN/Inf anywhere, C = 0, or a label that is not a float32 integer in [0, C): violation.
 * The D, W and C terms admit float32-only implementations: fround(z − m) perturbs exp(d_k) by a relative D_k·2^-24,
 * which weighs D_j in p_j's numerator and Σ p_k·D_k = W in its denominator; a float32 sum of C terms adds (C − 1)·2^-24.
 *
 * ## Fixed point
 * Quantities are integers in units of 2^-192 ("units", ONE = 2^192) unless stated; series run at 2^-128.
 *
 * Differences. If m and z_k are equal values, D_k = 0. Else, if |m| >= 2^40 or |z_k| >= 2^40 (float32 exponent
 * field >= 167), then D_k >= 2^16 (lemma: say |x| >= 2^40; if |y| < 2^39 then |x − y| > 2^39; otherwise both are
 * multiples of 2^(39−23) = 2^16 and differ) and exp(d_k) < 2^-90000: Ê_k = 0 (error < 1 unit). Otherwise both are
 * < 2^40 and their exponents are >= -149, so D̂_k = D_k·2^192 is an exact integer < 2^233.
 *
 * exp (expNegFixed), for an exact D̂ < 2^233, η := 2^-118:
 *   L̃ = round(ln2·2^192) (|L̃ − ln2·2^192| <= 1/2, computed below to 2^-250 and cross-checked in the tests).
 *   n = floor(D̂/L̃). If n >= 200 then D >= 200·ln2 − 2^-184 > 138.6, exp(−D) < 2^-199.9: Ê = 0 (error < 1 unit).
 *   ρ = D̂ − n·L̃ ∈ [0, L̃); D = n·ln2 + r with |r − ρ·2^-192| <= n/2·2^-192 < 2^-184.
 *   r' = floor(ρ/2^64) (scale 2^-128, r' < ln2·2^128): |r − r'·2^-128| < 2^-128 + 2^-184 < 2^-127.9.
 *   Series at 2^-128: t_0 = 2^128, t_i = floor(floor(t_{i−1}·r'/2^128)/i), P = Σ_{i even} t_i − Σ_{i odd} t_i,
 *   until t_i = 0. With τ_i = (r'/2^128)^i/i!·2^128, floors give 0 <= τ_i − t_i =: e_i <= e_{i−1}·(ln2/i) + 1,
 *   e_1 = 0, so every e_i < 1.3; the loop stops at the first t_N = 0 (τ_N < 1.3, N <= 36), and the tail
 *   Σ_{i>=N} τ_i < 2·τ_N. Hence |P − exp(−r')·2^128| <= 1.3·N + 3 < 2^6, and as exp(−r') > 1/2,
 *   |P − exp(−r')·2^128| <= 2^-121·exp(−r')·2^128; with |r − r'| < 2^-127.9 (exp is 1-Lipschitz on r >= 0):
 *   |P − exp(−r)·2^128| <= 2^-119.9·exp(−r)·2^128. Also 2^127 < P <= 2^128 (P = 2^128 iff r' = 0).
 *   Ê = P·2^(64−n) (exact shift for n <= 64, else truncated): |Ê − e| <= η·e + 1, e := exp(−D)·2^192.
 *   So exp has relative error <= 2^-118 plus absolute error <= 2^-192 (SPEC: <= 2^-60 and <= 2^-140).
 *   Widths: t·r' < 2^128·2^128; D̂ < 2^233; Ê <= 2^192; Ŝ = Σ Ê_k <= C·2^192 < 2^216 for C < 2^24.
 *
 * Sum. The maximum has Ê = ONE exactly, so with s := S·2^192: |Ŝ − s| <= η·(s − ONE) + C (one unit per term).
 *
 * log (logFixed), Ŝ >= ONE, result λ̂ ≈ log(Ŝ/2^192)·2^192:
 *   k = bitlen(Ŝ) − 193 (k <= 24), F = 192 + k, X = Ŝ − 2^F: Ŝ/2^192 = 2^k·(1 + T'), T' = X/2^F ∈ [0, 1).
 *   log = k·ln2 + log1p(T') and log1p(T') = 2·atanh(u), u = T'/(2 + T') ∈ [0, 1/3).
 *   Normalise: b = bitlen(X), t = X·2^(128−b) (truncated when b > 128; rel. error < 2^-127), s = F − b >= 0, so
 *   T' ≈ t·2^-(128+s) with t ∈ [2^127, 2^128). den = 2^129 + floor(t/2^s) ≈ (2 + T')·2^128 (rel. error < 2^-129),
 *   U = floor(t·2^127/den) ∈ (2^124.4, 2^126): u ≈ U·2^-(127+s), relative error < 2^-123.
 *   v = floor(U²/2^(126+2s)) ≈ u²·2^128 (error < 1 unit + 2^-122·v), v <= 2^128/9.
 *   G = Σ_i v^i/(2i+1) at 2^-128 (pw_0 = 2^128, pw_i = floor(pw_{i−1}·v/2^128), G = Σ floor(pw_i/(2i+1)),
 *   until pw_i = 0, N <= 42): G ∈ [1, 1.04]·2^128, error <= 2·N + 2 units from the floors and < 2^-125·2^128
 *   from v (|dG/dv| <= 0.4): relative error < 2^-120.
 *   log1p(T') = 2·u·G/2^128 ≈ U·G·2^-(254+s) = floor(U·G/2^(62+s)) units (U·G < 2^126·1.04·2^128 < 2^255):
 *   relative error < 2^-120 plus one unit. λ̂ = k·L̃ + that (k·L̃ adds <= k/2 units).
 *   Propagation from Ŝ: |log(Ŝ/ONE) − log s/ONE| <= |Ŝ − s|/ONE <= η·T + C units with T = s/ONE − 1 and
 *   T <= C·log(1 + T) (T/log1p(T) is increasing, T <= C − 1). So with λ = log S,
 *   |λ̂ − λ·2^192| <= (2^-120 + η·C)·λ·2^192 + C + k/2 + 2 <= ε_λ := floor(λ̂/2^92) + 2C + 64   (C < 2^24).
 *
 * W (softmax only). For each k with D_k exact (not the "large" case): D'_k = floor(D̂_k/2^128) (D at 2^-64), else
 *   D'_k = 0 (then Ê_k = 0). Q̂ = Σ_k floor(Ê_k/2^32)·D'_k, Ŵ = floor(Q̂ / floor(Ŝ/2^32)) (W at 2^-64),
 *   Wup = Ŵ + floor(Ŵ/2^115) + 4.  Claim: Wup >= W·2^64.
 *   Proof. With ê_k = floor(Ê_k/2^32)·2^-160: |ê_k − e_k| <= η·e_k + 2^-159.9 (e_k := exp(−D_k), real). If ê_k ≠ 0 then
 *   Ê_k >= 2^32, so n <= 160 and D_k < 161·ln2 < 112, and |ê_k·D'_k·2^-64 − e_k·D_k| <= (η·e_k + 2^-159.9)·D_k + e_k·2^-64.
 *   If ê_k = 0 then e_k < 2^-159.9, D_k > 110.8 and the term's error is e_k·D_k <= D_k·exp(−D_k) < 2^-153. Summing,
 *   with Q = Σ e_k·D_k = W·s: |Q̂·2^-224 − Q| <= η·Q + C·2^-153 + s·2^-64. With ŝ = floor(Ŝ/2^32)·2^-160,
 *   |ŝ − s| <= η·s + 2^-159 <= 2^-117.9·s, so |Q̂·2^-224/ŝ − W| <= 2^-116.8·W + 2^-64 + 2^-128 + C·2^-152.9, and
 *   the final floor adds 1: |Ŵ − W·2^64| <= 2^-116.8·W·2^64 + 2.01 (C < 2^24), hence W·2^64 <= Ŵ + Ŵ·2^-116.7 + 2.02.
 *   Widths: floor(Ê_k/2^32)·D'_k < 2^160·112·2^64 < 2^231 (it is 0 unless D_k < 112), so Q̂ < 2^255; Ŝ/2^32 >= 2^160.
 *
 * The decisions ("slack" = accepting in the trainer's favour within the proven error, SPEC §6.4: whenever the exact
 * rule accepts, these integer tests accept; they may accept values whose distance to the bound is below ~2^-60 of it
 * plus an absolute ~2^-160, far below the 2^-40 (relative) and 2^-100 (absolute) margins of every vector):
 *
 * Softmax. The bound is at most 2^-20 + 2^-23·(p_j·D_j + W + C) + 2^-126 < 2.01 (p_j·D_j <= 1/e, W < 17,
 *   C < 2^24), so |c| >= 4 is rejected at once. X = sign(c)·floor(|c|·Ŝ) (units; m_c·Ŝ < 2^240).
 *   K̂ = (8 + C)·2^64 + D'_j + Wup ≈ (2^20·2^-23 + C + D_j + W)·2^64 = 2^23·(2^-20 + 2^-23·(D_j + W + C))·2^64;
 *   R = floor(Ê_j·floor(K̂/2^64)/2^23) + floor(Ê_j·(K̂ mod 2^64)/2^87) (>= Ê_j·K̂/2^87 − 2; the split keeps both
 *   products below 2^256: if Ê_j ≠ 0 then D_j < 133.1, K̂ < 2^88.01). Accept iff
 *   |X − Ê_j| <= R + floor(Ŝ/2^126) + slack,  slack = floor(|X|/2^116) + floor(R/2^116) + floor(Ê_j/2^86) + 4C + 16.
 *   Proof: the exact rule times s is |c·s − e| <= B + 2^-126·s with B := e·2^-23·K, K := 8 + C + D_j + W (units).
 *   If Ê_j ≠ 0: K <= (K̂ + 1)·2^-64 and e <= (Ê_j + 1)/(1 − η), so B <= (Ê_j·K̂ + Ê_j + K̂ + 1)·2^-87·(1 + 2^-117.9)
 *   <= R + floor(R/2^117) + floor(Ê_j/2^87) + 7. If Ê_j = 0 (so R = 0): n >= 192, so D_j >= 192·ln2 − 2^-184 (or
 *   D_j >= 2^16 in the large case), e <= 1 + 2^-117 units and e·D_j <= max_{D >= 133} D·exp(−D)·2^192 <= 134 units,
 *   so B <= (8 + C + W)·2^-23·(1 + 2^-117) + 2^-16 < 3 units. Then
 *   |X − Ê_j| <= 1 + |c|·(η·s + C) + B + 2^-126·s + η·e + 1, with |c|·s <= (|X| + 1 + 4C)/(1 − η) (|c| < 4),
 *   2^-126·s <= floor(Ŝ/2^126) + 3 and η·e <= floor(Ê_j/2^118) + 1: the right side is at most
 *   R + floor(Ŝ/2^126) + floor(|X|/2^117) + floor(R/2^117) + floor(Ê_j/2^87) + floor(Ê_j/2^118) + 4C + 14 <= the test.
 *
 * Loss. Work in units V = 2^-192 (u = 0), or V = 2^-100 (u = 92) when m ≠ z_y and either is >= 2^40 (then
 *   D_y >= 2^16 and values up to 2^129 must fit). D̂ = D_y/V: exact for u = 0, |error| < 2 for u = 92 (each of m,
 *   z_y truncated). L̂ = D̂ + floor(λ̂/2^u), |L̂ − ℓ/V| <= ε := 3 + ε_λ/2^u. For u = 0, |c| >= 2^50 is rejected at once
 *   (ℓ < 2^42 and the bound < 2^22 + 2). X = c/V truncated toward zero (|X| < 2^242). Accept iff
 *   |X − L̂| <= floor(L̂/2^20) + A + slack,  A = (C + 3)·2^(168 − u) + (2^66 for u = 0, 1 for u = 92)
 *   (= ((C + 3)·2^-24 + 2^-126)/V, rounded up: 2^-126/V < 1 for u = 92),
 *   slack = floor(floor(λ̂/2^91)/2^u) + floor((4C + 128)/2^u) + 12 >= 2ε + 2.
 *   Proof: exact accept gives |X − L̂| <= 1 + ε + 2^-20·(L̂ + ε) + A <= floor(L̂/2^20) + A + 2ε + 2.
 *   Widths: A < 2^193; L̂ < 2^235.
 */
import { bitsOf, decode, fromBits, isFiniteBits, type Dyadic } from "./float32.js";
import type { Verdict } from "./tolerance.js";

/** Fixed-point fraction bits of the row quantities (units of 2^-192). */
export const FRAC_BITS = 192;
/** 1.0 in units. */
export const ONE = 1n << 192n;
/** Largest supported row length C (the error analysis assumes C < 2^24). */
export const MAX_COLS = 2 ** 24 - 1;
/** exp(−D) is taken as 0 once D >= 200·ln2 (then exp(−D) < 2^-199.9, below one unit). */
export const EXP_CUTOFF_N = 200n;
/** Float32 exponent field from which |v| >= 2^40 (value >= 2^(167−127)). */
export const LARGE_EXP_FIELD = 167;

const ONE128 = 1n << 128n;

/** bit length of a non-negative bigint (0 for 0). */
function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * ln2 · 2^192 rounded to nearest, computed as 2·atanh(1/3) = 2·Σ 3^-(2i+1)/(2i+1) at 2^-260 (each of the < 170
 * terms truncated by < 2^-260, the tail after the last non-zero term < 2^-260): the sum is within 2^-251 of ln2,
 * and the rounding to 2^-192 is certain because the discarded 68 bits are checked to be away from one half.
 */
function computeLn2(): bigint {
  const P = 260n;
  let sum = 0n;
  for (let i = 0n; ; i++) {
    const t = (1n << P) / (3n ** (2n * i + 1n) * (2n * i + 1n));
    if (t === 0n) break;
    sum += t;
  }
  sum *= 2n; // ln2 · 2^260, within 2^9 units of 2^-260
  const drop = P - 192n;
  const frac = sum & ((1n << drop) - 1n);
  const half = 1n << (drop - 1n);
  const guard = 1n << 12n;
  if (frac > half - guard && frac < half + guard) throw new Error("ln2 rounding undecided at 2^-260");
  return (sum >> drop) + (frac >= half ? 1n : 0n);
}

/** round(ln2 · 2^192): the range-reduction constant (equal to LibTranscendental.LN2). */
export const LN2_FIXED: bigint = computeLn2();

/**
 * exp(−D) for D = dHat·2^-192 >= 0, in units of 2^-192: relative error <= 2^-118 plus one unit (module comment).
 * Requires dHat < 2^233 (the callers' range); it is the same integer algorithm as LibTranscendental.expNegFixed.
 */
export function expNegFixed(dHat: bigint): bigint {
  if (dHat < 0n) throw new RangeError(`expNegFixed: negative argument ${dHat}`);
  const n = dHat / LN2_FIXED;
  if (n >= EXP_CUTOFF_N) return 0n;
  const r = (dHat - n * LN2_FIXED) >> 64n; // scale 2^-128, < ln2·2^128
  let pos = ONE128;
  let neg = 0n;
  let t = ONE128;
  for (let i = 1n; t !== 0n; i++) {
    t = ((t * r) >> 128n) / i;
    if (i & 1n) neg += t;
    else pos += t;
  }
  const p = pos - neg;
  return n <= 64n ? p << (64n - n) : p >> (n - 64n);
}

/**
 * log(S/2^192)·2^192 for S >= 2^192 (units): relative error < 2^-120 plus k/2 + 1 units, k = floor(log2 S) − 192.
 * The same integer algorithm as LibTranscendental.logFixed.
 */
export function logFixed(sHat: bigint): bigint {
  if (sHat < ONE) throw new RangeError(`logFixed: argument ${sHat} below 2^192`);
  const k = bitLength(sHat) - 193;
  const F = 192 + k;
  const X = sHat - (1n << BigInt(F));
  const lam = BigInt(k) * LN2_FIXED;
  if (X === 0n) return lam;
  const b = bitLength(X);
  const s = BigInt(F - b);
  const t = b > 128 ? X >> BigInt(b - 128) : X << BigInt(128 - b);
  const den = (1n << 129n) + (t >> s);
  const U = (t << 127n) / den;
  const v = (U * U) >> (126n + 2n * s);
  let G = ONE128;
  let pw = ONE128;
  for (let i = 1n; pw !== 0n; i++) {
    pw = (pw * v) >> 128n;
    G += pw / (2n * i + 1n);
  }
  return lam + ((U * G) >> (62n + s));
}

// ------------------------------------------------------------------------------------------------ row helpers

const hex = (b: number) => `0x${(b >>> 0).toString(16).padStart(8, "0")}`;
const expField = (bits: number) => (bits >>> 23) & 0xff;
const isZero = (bits: number) => (bits & 0x7fffffff) === 0;
/** Same value (±0 are equal): bit-equal or both zero. Finite values only. */
const sameValue = (a: number, b: number) => a >>> 0 === b >>> 0 || (isZero(a) && isZero(b));

/** v·2^(−unitExp) truncated toward zero, for a finite float32 v (bits). */
function toUnits(bits: number, unitExp: number): bigint {
  const { m, e }: Dyadic = decode(bits);
  const sh = e - unitExp;
  if (sh >= 0) return m << BigInt(sh);
  const mag = (m < 0n ? -m : m) >> BigInt(-sh);
  return m < 0n ? -mag : mag;
}

/** Index of a maximum of the row (the first one; values compared exactly, ±0 equal). */
function argMax(row: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (fromBits(row[k]!) > fromBits(row[best]!)) best = k;
  return best;
}

/** Ê_k and D'_k (D_k at 2^-64, 0 in the "large" case) for the row's maximum `mBits` and element `zBits`. */
function expOfDiff(mBits: number, zBits: number): { e: bigint; dFix: bigint } {
  if (sameValue(mBits, zBits)) return { e: ONE, dFix: 0n };
  if (expField(mBits) >= LARGE_EXP_FIELD || expField(zBits) >= LARGE_EXP_FIELD) return { e: 0n, dFix: 0n };
  const dHat = toUnits(mBits, -FRAC_BITS) - toUnits(zBits, -FRAC_BITS);
  return { e: expNegFixed(dHat), dFix: dHat >> 128n };
}

interface RowSums {
  readonly mBits: number;
  /** Ê_k (units) */
  readonly E: bigint[];
  /** D'_k = floor(D̂_k/2^128) (D_k at 2^-64; 0 in the large case) */
  readonly Dfix: bigint[];
  /** Ŝ = Σ Ê_k */
  readonly S: bigint;
  /** Q̂ = Σ floor(Ê_k/2^32)·D'_k */
  readonly Q: bigint;
}

function rowSums(row: readonly number[]): RowSums {
  const mBits = row[argMax(row)]!;
  const E: bigint[] = [];
  const Dfix: bigint[] = [];
  let S = 0n;
  let Q = 0n;
  for (const z of row) {
    const { e, dFix } = expOfDiff(mBits, z);
    E.push(e);
    Dfix.push(dFix);
    S += e;
    Q += (e >> 32n) * dFix;
  }
  return { mBits, E, Dfix, S, Q };
}

/** Wup >= W·2^64 (module comment, "W"): an upper bound of W = Σ p_k·D_k at 2^-64. */
function wUpper(S: bigint, Q: bigint): bigint {
  const w = Q / (S >> 32n);
  return w + (w >> 115n) + 4n;
}

function badShape(row: readonly number[]): Verdict | null {
  if (row.length === 0) return { ok: false, reason: "bad-input", detail: "empty row (C = 0)" };
  if (row.length > MAX_COLS) return { ok: false, reason: "bad-input", detail: `row of ${row.length} > ${MAX_COLS} elements` };
  for (let k = 0; k < row.length; k++) {
    if (!isFiniteBits(row[k]!)) return { ok: false, reason: "non-finite", detail: `row element ${k} is ${hex(row[k]!)}` };
  }
  return null;
}

const OK: Verdict = { ok: true };
const absB = (v: bigint) => (v < 0n ? -v : v);

/** Both sides of the last decision (without and with slack), for the vector generator's margin filter. */
interface Decision {
  readonly lhs: bigint;
  readonly rhs: bigint;
  readonly slack: bigint;
}

const MASK64 = (1n << 64n) - 1n;

/** The largest float32 exponent field of a claimed probability that is not rejected at once (|c| < 4). */
export const SOFTMAX_MAX_CLAIM_FIELD = 128;
/** Loss, u = 0: the largest float32 exponent field of a claimed loss that is not rejected at once (|c| < 2^50). */
export const LOSS_MAX_CLAIM_FIELD = 176;

interface SoftmaxSide extends Decision {
  /** Ŝ (to express the distance to the bound in probability units) */
  readonly scale: bigint;
}

function softmaxDecision(row: readonly number[], j: number, claimedBits: number): SoftmaxSide | "far" {
  // INVARIANT: |c| < 4 (exponent field <= 128): the bound is below 2.01, so |c| >= 4 gives |c − p| > 2.01.
  if (expField(claimedBits) > SOFTMAX_MAX_CLAIM_FIELD) return "far";
  const { E, Dfix, S, Q } = rowSums(row);
  const Ej = E[j]!;
  const C = BigInt(row.length);
  const K = ((8n + C) << 64n) + Dfix[j]! + wUpper(S, Q);
  const R = ((Ej * (K >> 64n)) >> 23n) + ((Ej * (K & MASK64)) >> 87n);
  const { m, e } = decode(claimedBits); // e <= -22
  const mag = ((m < 0n ? -m : m) * S) >> BigInt(-e);
  const X = m < 0n ? -mag : mag;
  const lhs = absB(X - Ej);
  const rhs = R + (S >> 126n);
  const slack = (absB(X) >> 116n) + (R >> 116n) + (Ej >> 86n) + 4n * C + 16n;
  return { lhs, rhs, slack, scale: S };
}

interface LossSide extends Decision {
  /** log2 of the unit V (−192 or −100) */
  readonly unitExp: number;
}

function lossDecision(row: readonly number[], y: number, claimedBits: number): LossSide | "far" {
  const { mBits, S } = rowSums(row);
  const zBits = row[y]!;
  const lam = logFixed(S);
  const large = !sameValue(mBits, zBits) && (expField(mBits) >= LARGE_EXP_FIELD || expField(zBits) >= LARGE_EXP_FIELD);
  const u = large ? 92 : 0;
  const unitExp = -FRAC_BITS + u;
  // INVARIANT (u = 0): ℓ < 2^42 and the bound < 2^22 + 2, so |c| >= 2^50 (exponent field >= 177) is out of bound.
  if (!large && expField(claimedBits) > LOSS_MAX_CLAIM_FIELD) return "far";
  const D = sameValue(mBits, zBits) ? 0n : toUnits(mBits, unitExp) - toUnits(zBits, unitExp);
  const L = D + (lam >> BigInt(u));
  const X = toUnits(claimedBits, unitExp);
  const C = BigInt(row.length);
  const A = ((C + 3n) << BigInt(168 - u)) + (u === 0 ? 1n << 66n : 1n);
  const lhs = absB(X - L);
  const rhs = (L >> 20n) + A;
  const slack = ((lam >> 91n) >> BigInt(u)) + ((4n * C + 128n) >> BigInt(u)) + 12n;
  return { lhs, rhs, slack, unitExp };
}

/** Label bits → index in [0, C), or an explanation. −0 counts as 0 (the rule is on values). */
function labelIndex(labelBits: number, C: number): number | string {
  if (!isFiniteBits(labelBits)) return `label ${hex(labelBits)} is not finite`;
  const v = fromBits(labelBits);
  if (!Number.isInteger(v) || v < 0 || v >= C) return `label ${v} (${hex(labelBits)}) is not an integer in [0, ${C})`;
  return v === 0 ? 0 : v;
}

/**
 * Softmax rule (SPEC §6.4): accept the float32 `claimedBits` as p_j = exp(d_j)/Σ exp(d_k) of the row iff
 * |c − p_j| <= p_j·(2^-20 + 2^-23·(|d_j| + W + C)) + 2^-126 with W = Σ p_k·|d_k| (decided in the trainer's favour
 * within the proven fixed-point error).
 */
export function checkSoftmax(rowBits: number[], j: number, claimedBits: number): Verdict {
  const bad = badShape(rowBits);
  if (bad) return bad;
  if (!Number.isInteger(j) || j < 0 || j >= rowBits.length) {
    return { ok: false, reason: "bad-input", detail: `softmax index ${j} outside [0, ${rowBits.length})` };
  }
  if (!isFiniteBits(claimedBits)) return { ok: false, reason: "non-finite", detail: `claimed value ${hex(claimedBits)}` };
  const d = softmaxDecision(rowBits, j, claimedBits);
  if (d !== "far" && d.lhs <= d.rhs + d.slack) return OK;
  return { ok: false, reason: "out-of-bound", detail: `softmax element ${j} of ${rowBits.length}: claimed ${fromBits(claimedBits)} outside p·(2^-20 + 2^-23·(|d_j| + W + C)) + 2^-126` };
}

/**
 * Cross-entropy loss rule (SPEC §6.4): accept `claimedBits` as ℓ = log Σ exp(d_k) − d_y iff
 * |c − ℓ| <= 2^-20·ℓ + (C + 3)·2^-24 + 2^-126; the label must be a float32 integer in [0, C).
 */
export function checkXentLoss(rowBits: number[], labelBits: number, claimedBits: number): Verdict {
  const bad = badShape(rowBits);
  if (bad) return bad;
  const y = labelIndex(labelBits, rowBits.length);
  if (typeof y === "string") return { ok: false, reason: "bad-input", detail: y };
  if (!isFiniteBits(claimedBits)) return { ok: false, reason: "non-finite", detail: `claimed value ${hex(claimedBits)}` };
  const d = lossDecision(rowBits, y, claimedBits);
  if (d !== "far" && d.lhs <= d.rhs + d.slack) return OK;
  return { ok: false, reason: "out-of-bound", detail: `loss with label ${y} of ${rowBits.length}: claimed ${fromBits(claimedBits)} outside 2^-20·ℓ + (C + 3)·2^-24 + 2^-126` };
}

/** Distance of a claimed value from the bound (positive inside, negative outside). */
export interface BoundMargin {
  /** (B − |c − r|)/B, accurate to ~2^-50 (binary64 conversion of the fixed-point sides); ±Infinity for early rejects */
  readonly relative: number;
  /** B − |c − r| in the claimed value's own scale (probability or nats), accurate to ~2^-50 of B; ±Infinity likewise */
  readonly absolute: number;
}

/**
 * Signed distance of the claimed value from the bound, from the fixed-point values (without the slack). For the vector
 * generator, which keeps only cases with |relative| > 2^-40 and |absolute| > 2^-100 (SPEC §6.4). Throws on inputs the
 * rules reject before the bound.
 */
export function transcendentalMargin(kind: "softmax" | "loss", rowBits: number[], idxOrLabelBits: number, claimedBits: number): BoundMargin {
  if (badShape(rowBits) || !isFiniteBits(claimedBits)) throw new RangeError("margin of a case rejected before the bound");
  let d: SoftmaxSide | LossSide | "far";
  let scale: number;
  if (kind === "softmax") {
    if (!Number.isInteger(idxOrLabelBits) || idxOrLabelBits < 0 || idxOrLabelBits >= rowBits.length) {
      throw new RangeError(`softmax index ${idxOrLabelBits} outside [0, ${rowBits.length})`);
    }
    d = softmaxDecision(rowBits, idxOrLabelBits, claimedBits);
    scale = d === "far" ? 0 : 1 / Number(d.scale);
  } else {
    const y = labelIndex(idxOrLabelBits, rowBits.length);
    if (typeof y === "string") throw new RangeError(y);
    d = lossDecision(rowBits, y, claimedBits);
    scale = d === "far" ? 0 : 2 ** d.unitExp;
  }
  if (d === "far") return { relative: -Infinity, absolute: -Infinity };
  // Softmax: lhs ≈ |c − p|·Ŝ and rhs ≈ B·Ŝ, both in units with Ŝ itself in units, so dividing by Ŝ gives the
  // probability scale. Loss: units of V = 2^unitExp. rhs < 2^256: binary64 conversion is relative 2^-53.
  const diff = Number(d.rhs - d.lhs);
  return { relative: diff / Number(d.rhs), absolute: diff * scale };
}

// ------------------------------------------------------------------------------------------------ reference

/**
 * The honest reference softmax (SPEC §6.4): binary64 evaluation, rounded once to float32:
 * p_j = fround(exp(d_j) / Σ exp(d_k)), d_k = z_k − m.
 */
export function softmaxRowF32(row: Float32Array): Float32Array {
  if (row.length === 0) throw new RangeError("softmaxRowF32: empty row");
  let m = -Infinity;
  for (const z of row) if (z > m) m = z;
  const ex = Array.from(row, (z) => Math.exp(z - m));
  let sum = 0;
  for (const e of ex) sum += e;
  return Float32Array.from(ex, (e) => Math.fround(e / sum));
}

/**
 * The honest reference loss in binary64, rounded once to float32: fround(log Σ exp(d_k) − d_y), with the logarithm
 * evaluated as log1p(Σ_{k ≠ k*} exp(d_k)) (k* the first maximum, whose term is exactly 1).
 *
 * Why log1p and not Math.log(Σ exp(d_k)) as first drafted: when the label is the row maximum the loss is
 * ℓ = log(1 + T) with T = Σ_{k ≠ k*} exp(d_k) possibly tiny, and 1 + T rounded to binary64 loses everything below
 * 2^-53, so Math.log(sum) has an absolute error up to 2^-53 — far outside 2^-20·ℓ + 2^-126 once T < 2^-33 (any
 * confident correct prediction with a logit gap above ~23 gives exactly 0 instead of ℓ ≈ e^-gap, and the SPEC rule
 * rejects it). log1p(T) keeps the relative accuracy.
 */
export function xentLossF32(row: Float32Array, label: number): number {
  if (row.length === 0) throw new RangeError("xentLossF32: empty row");
  if (!Number.isInteger(label) || label < 0 || label >= row.length) throw new RangeError(`xentLossF32: label ${label} outside [0, ${row.length})`);
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
  const m = row[best]!;
  let t = 0;
  for (let k = 0; k < row.length; k++) if (k !== best) t += Math.exp(row[k]! - m);
  return Math.fround(Math.log1p(t) - (row[label]! - m));
}

/**
 * A float32-only softmax, as a GPU kernel computes it (every operation rounded to binary32, Math.exp standing in for a
 * float32 `expf` of a few ulps): d_k = fround(z_k − m), e_k = fround(exp(d_k)), s = float32 sum in row order,
 * p_j = fround(e_j/s). SPEC §6.4 accepts it: its relative error is at most ~2^-24·(|d_j| + W + C + 2).
 */
export function softmaxRowFloat32Only(row: Float32Array): Float32Array {
  if (row.length === 0) throw new RangeError("softmaxRowFloat32Only: empty row");
  const fr = Math.fround;
  let m = -Infinity;
  for (const z of row) if (z > m) m = z;
  const e = Array.from(row, (z) => fr(Math.exp(fr(z - m))));
  let s = 0;
  for (const x of e) s = fr(s + x);
  return Float32Array.from(e, (x) => fr(x / s));
}

/**
 * A float32-only loss: s as in softmaxRowFloat32Only, ℓ = fround(fround(log s) − fround(z_y − m)). SPEC §6.4 accepts
 * it: the float32 sum and exps perturb log s by ~2^-24·(C + W) (W <= log C), the roundings add ~2^-23·ℓ.
 */
export function xentLossFloat32Only(row: Float32Array, label: number): number {
  if (row.length === 0) throw new RangeError("xentLossFloat32Only: empty row");
  if (!Number.isInteger(label) || label < 0 || label >= row.length) throw new RangeError(`xentLossFloat32Only: label ${label} outside [0, ${row.length})`);
  const fr = Math.fround;
  let m = -Infinity;
  for (const z of row) if (z > m) m = z;
  let s = 0;
  for (const z of row) s = fr(s + fr(Math.exp(fr(z - m))));
  return fr(fr(Math.log(s)) - fr(row[label]! - m));
}

/** float32 bit patterns of a row (convenience for callers holding a Float32Array). */
export function rowBitsOf(row: Float32Array): number[] {
  return Array.from(row, bitsOf);
}
