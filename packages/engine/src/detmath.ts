/**
 * Deterministic transcendental functions in binary64.
 *
 * `Math.exp` and `Math.log` are "implementation-approximated" in ECMAScript: two engines (or two versions of
 * one engine) may return different last bits. The engine needs the same bits everywhere, so it evaluates
 * exp and log with +, −, ×, ÷ only (each correctly rounded by IEEE-754, no fused multiply-add in JS) in a fixed
 * order: same inputs, same bits on every conforming JS engine.
 *
 * Accuracy (measured in test/detmath.test.ts against Math.exp/Math.log over 10^5 points): relative error below
 * 2^-50, far inside the 2^-40 the tolerance profile budgets for transcendental ops (docs/SPEC.md §6.4).
 */

const LN2_HI = 6.93147180369123816490e-1; // high 32 bits of ln 2: k·LN2_HI is exact for |k| < 2^20
const LN2_LO = 1.90821492927058770002e-10; // ln 2 − LN2_HI
const INV_LN2 = 1.44269504088896338700;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the high word of a double in the Uint32 view (little-endian platforms: 1). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** 2^k exactly, for integer k in [-1022, 1023]. */
function pow2(k: number): number {
  u32[LO] = 0;
  u32[HI] = (k + 1023) << 20;
  return f64[0]!;
}

/** Taylor coefficients 1/n!, n = 0..13, each the double nearest to the exact value (computed by division). */
const INV_FACT: number[] = (() => {
  const c: number[] = [1];
  let f = 1;
  for (let n = 1; n <= 13; n++) {
    f *= n; // exact: 13! < 2^53
    c.push(1 / f);
  }
  return c;
})();

/**
 * e^x. Range reduction x = k·ln2 + r, |r| <= ln2/2 (Cody–Waite, two-constant ln 2), Taylor polynomial of degree
 * 13 in Horner form (truncation error < 2^-57 relative), then an exact scaling by 2^k.
 */
export function detExp(x: number): number {
  if (x !== x) return NaN;
  if (x > 709.7) return Infinity;
  if (x < -745.2) return 0;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = INV_FACT[13]!;
  for (let n = 12; n >= 0; n--) p = p * r + INV_FACT[n]!;
  if (k >= -1022) return k <= 1023 ? p * pow2(k) : p * pow2(1023) * pow2(k - 1023);
  return p * pow2(k + 600) * pow2(-600);
}

/**
 * Natural log. x = m·2^e with m in [√½, √2); log m = 2·atanh(f), f = (m−1)/(m+1), |f| < 0.1716, series to f^27
 * (truncation < 2^-60 relative); log x = e·LN2_HI + (e·LN2_LO + log m).
 */
export function detLog(x: number): number {
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  let e = 0;
  let v = x;
  if (v < 2.2250738585072014e-308) {
    v *= 18014398509481984; // 2^54, exact
    e -= 54;
  }
  f64[0] = v;
  const hi = u32[HI]!;
  e += ((hi >>> 20) & 0x7ff) - 1023;
  u32[HI] = (hi & 0x800fffff) | (1023 << 20); // m in [1, 2)
  let m = f64[0]!;
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const f = (m - 1) / (m + 1);
  const f2 = f * f;
  let s = 1 / 27;
  for (let n = 25; n >= 1; n -= 2) s = s * f2 + 1 / n;
  const logm = 2 * f * s;
  return e * LN2_HI + (e * LN2_LO + logm);
}

/** √x by Newton's method in a fixed number of steps (deterministic; exact to the last bit or one ulp). */
export function detSqrt(x: number): number {
  if (!(x >= 0) || x === Infinity) throw new RangeError(`detSqrt: argument must be finite and >= 0, got ${x}`);
  if (x === 0) return 0;
  let y = x >= 1 ? x : 1;
  for (let i = 0; i < 1100 && y * y > x * (1 + 1e-15); i++) y = 0.5 * (y + x / y);
  for (let i = 0; i < 8; i++) y = 0.5 * (y + x / y);
  return y;
}
