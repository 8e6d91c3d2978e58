/**
 * The float32 kernels of the engine. Every kernel fixes its evaluation order, so the same inputs give the same
 * output bits on every conforming JS engine (IEEE-754 binary64 arithmetic, each operation correctly rounded;
 * JS has no fused multiply-add, and a product of two float32 values is exact in binary64 anyway):
 *
 * - dot products (matmulNT, rowsum): products in binary64 (exact), summed in binary64 in increasing index
 *   order k = 0, 1, …, K−1, the bias (if any) added last, then rounded once to float32 on store. The error is
 *   inside the dot-product rule of docs/SPEC.md §6.1 (γ_K with u = 2^-24 covers binary64 accumulation plus the
 *   final rounding).
 * - elementwise kernels compute one binary64 expression and round once to float32 (SPEC §6.2 allows one
 *   double rounding: 2^-23 relative).
 *
 * Layout: every tensor is row-major. A dot-product output element reads one contiguous row of each operand
 * (matmulNT multiplies A[M,K] by B[N,K]ᵀ), so the one-step check of an element opens O(K) contiguous values.
 * Where the math needs a column, the graph materializes a transpose node (exact copy, one input element).
 *
 * Kernels never allocate; outputs are caller-provided Float32Arrays (the executor owns them).
 */
import { detExp, detLog } from "./detmath.js";
import { ShapeError } from "./errors.js";

function need(what: string, arr: ArrayLike<number>, n: number): void {
  if (arr.length !== n) throw new ShapeError(what, n, arr.length);
}

/**
 * out[m,n] = Σ_k a[m,k]·b[n,k] (+ bias[n]) for a [M,K], b [N,K], out [M,N].
 * Blocked 4 rows of a × 4 rows of b (16 independent accumulators, 8 loads per 16 products); each accumulator
 * still runs k in increasing order and adds the bias last, so blocking does not change any bit.
 */
export function matmulNT(
  a: Float32Array,
  M: number,
  K: number,
  b: Float32Array,
  N: number,
  bias: Float32Array | null,
  out: Float32Array,
): void {
  need("matmulNT a", a, M * K);
  need("matmulNT b", b, N * K);
  need("matmulNT out", out, M * N);
  if (bias !== null) need("matmulNT bias", bias, N);
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const a0 = m * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const b0 = n * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = a[a0 + k]!, x1 = a[a1 + k]!, x2 = a[a2 + k]!, x3 = a[a3 + k]!;
        const w0 = b[b0 + k]!, w1 = b[b1 + k]!, w2 = b[b2 + k]!, w3 = b[b3 + k]!;
        s00 += x0 * w0; s01 += x0 * w1; s02 += x0 * w2; s03 += x0 * w3;
        s10 += x1 * w0; s11 += x1 * w1; s12 += x1 * w2; s13 += x1 * w3;
        s20 += x2 * w0; s21 += x2 * w1; s22 += x2 * w2; s23 += x2 * w3;
        s30 += x3 * w0; s31 += x3 * w1; s32 += x3 * w2; s33 += x3 * w3;
      }
      if (bias !== null) {
        const c0 = bias[n]!, c1 = bias[n + 1]!, c2 = bias[n + 2]!, c3 = bias[n + 3]!;
        s00 += c0; s01 += c1; s02 += c2; s03 += c3;
        s10 += c0; s11 += c1; s12 += c2; s13 += c3;
        s20 += c0; s21 += c1; s22 += c2; s23 += c3;
        s30 += c0; s31 += c1; s32 += c2; s33 += c3;
      }
      let o = m * N + n;
      out[o] = s00; out[o + 1] = s01; out[o + 2] = s02; out[o + 3] = s03;
      o += N;
      out[o] = s10; out[o + 1] = s11; out[o + 2] = s12; out[o + 3] = s13;
      o += N;
      out[o] = s20; out[o + 1] = s21; out[o + 2] = s22; out[o + 3] = s23;
      o += N;
      out[o] = s30; out[o + 1] = s31; out[o + 2] = s32; out[o + 3] = s33;
    }
    for (; n < N; n++) {
      const b0 = n * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const w = b[b0 + k]!;
        s0 += a[a0 + k]! * w;
        s1 += a[a1 + k]! * w;
        s2 += a[a2 + k]! * w;
        s3 += a[a3 + k]! * w;
      }
      if (bias !== null) {
        const c = bias[n]!;
        s0 += c; s1 += c; s2 += c; s3 += c;
      }
      out[m * N + n] = s0;
      out[(m + 1) * N + n] = s1;
      out[(m + 2) * N + n] = s2;
      out[(m + 3) * N + n] = s3;
    }
  }
  for (; m < M; m++) {
    const a0 = m * K;
    for (let n = 0; n < N; n++) {
      const b0 = n * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[a0 + k]! * b[b0 + k]!;
      if (bias !== null) s += bias[n]!;
      out[m * N + n] = s;
    }
  }
}

/** out[c,r] = a[r,c] for a [R,C]: exact copies, blocked for cache locality. */
export function transpose(a: Float32Array, R: number, C: number, out: Float32Array): void {
  need("transpose a", a, R * C);
  need("transpose out", out, R * C);
  const T = 32;
  for (let r0 = 0; r0 < R; r0 += T) {
    const r1 = Math.min(r0 + T, R);
    for (let c0 = 0; c0 < C; c0 += T) {
      const c1 = Math.min(c0 + T, C);
      for (let r = r0; r < r1; r++) {
        const base = r * C;
        for (let c = c0; c < c1; c++) out[c * R + r] = a[base + c]!;
      }
    }
  }
}

/** out[r] = Σ_c a[r,c] for a [R,C], binary64 in order c = 0..C−1, one rounding. */
export function rowSum(a: Float32Array, R: number, C: number, out: Float32Array): void {
  need("rowSum a", a, R * C);
  need("rowSum out", out, R);
  for (let r = 0; r < R; r++) {
    let s = 0;
    const base = r * C;
    for (let c = 0; c < C; c++) s += a[base + c]!;
    out[r] = s;
  }
}

/** out = max(x, 0); NaN propagates (so an injected NaN is never silently hidden), −0 becomes +0. */
export function relu(x: Float32Array, out: Float32Array): void {
  need("relu out", out, x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v > 0 || v !== v ? v : 0;
  }
}

/** out = z > 0 ? g : +0 (the ReLU derivative applied to an upstream gradient g). */
export function reluBackward(g: Float32Array, z: Float32Array, out: Float32Array): void {
  need("reluBackward z", z, g.length);
  need("reluBackward out", out, g.length);
  for (let i = 0; i < g.length; i++) out[i] = z[i]! > 0 ? g[i]! : 0;
}

/**
 * Inverted dropout: out = keep ? fround(x·s) : +0, with s = den/(den−num) as a binary64 (the product x·s is
 * rounded to binary64, then to float32: relative error < 2^-24 + 2^-53 + 2^-52, inside SPEC §6.2's 2^-23).
 * Dropped elements are exactly +0 (SPEC §5.3). Used for the forward op and for its backward op (same mask).
 */
export function dropoutApply(x: Float32Array, mask: Uint8Array, scale: number, out: Float32Array): void {
  need("dropout mask", mask, x.length);
  need("dropout out", out, x.length);
  for (let i = 0; i < x.length; i++) out[i] = mask[i] ? x[i]! * scale : 0;
}

/** Validates a label tensor (float32 values that are integers in [0, C)) and returns the labels as ints. */
export function labelAt(labels: Float32Array, b: number, C: number): number {
  const y = labels[b]!;
  if (!(Number.isInteger(y) && y >= 0 && y < C)) throw new RangeError(`label ${b} is ${y}, not an integer class in [0, ${C})`);
  return y;
}

/**
 * Row softmax of z [B,C]: m = max_j z_j; e_j = detExp(z_j − m) (the difference is exact in binary64);
 * S = Σ_j e_j in order; out_j = fround(e_j / S).
 */
export function softmax(z: Float32Array, B: number, C: number, out: Float32Array): void {
  need("softmax z", z, B * C);
  need("softmax out", out, B * C);
  for (let b = 0; b < B; b++) {
    const base = b * C;
    let m = z[base]!;
    for (let j = 1; j < C; j++) if (z[base + j]! > m) m = z[base + j]!;
    let s = 0;
    for (let j = 0; j < C; j++) s += detExp(z[base + j]! - m);
    for (let j = 0; j < C; j++) out[base + j] = detExp(z[base + j]! - m) / s;
  }
}

/** Per-example cross-entropy from logits: loss_b = fround(log Σ_j e^(z_j − m) − (z_y − m)). */
export function crossEntropyLoss(z: Float32Array, labels: Float32Array, B: number, C: number, out: Float32Array): void {
  need("crossEntropyLoss z", z, B * C);
  need("crossEntropyLoss labels", labels, B);
  need("crossEntropyLoss out", out, B);
  for (let b = 0; b < B; b++) {
    const base = b * C;
    let m = z[base]!;
    for (let j = 1; j < C; j++) if (z[base + j]! > m) m = z[base + j]!;
    let s = 0;
    for (let j = 0; j < C; j++) s += detExp(z[base + j]! - m);
    out[b] = detLog(s) - (z[base + labelAt(labels, b, C)]! - m);
  }
}

/** Gradient of the mean cross-entropy w.r.t. the logits: out[b,c] = fround((p[b,c] − [c = y_b]) / B). */
export function crossEntropyGrad(p: Float32Array, labels: Float32Array, B: number, C: number, out: Float32Array): void {
  need("crossEntropyGrad p", p, B * C);
  need("crossEntropyGrad labels", labels, B);
  need("crossEntropyGrad out", out, B * C);
  for (let b = 0; b < B; b++) {
    const y = labelAt(labels, b, C);
    const base = b * C;
    for (let c = 0; c < C; c++) out[base + c] = (p[base + c]! - (c === y ? 1 : 0)) / B;
  }
}

/** SGD step: out = fround(w − lr·g) (lr·g exact in binary64, one binary64 rounding, then float32). */
export function sgdUpdate(w: Float32Array, g: Float32Array, lr: number, out: Float32Array): void {
  need("sgdUpdate g", g, w.length);
  need("sgdUpdate out", out, w.length);
  for (let i = 0; i < w.length; i++) out[i] = w[i]! - lr * g[i]!;
}

/** Momentum buffer: out = fround(mu·v + g). */
export function momentumUpdate(v: Float32Array, g: Float32Array, mu: number, out: Float32Array): void {
  need("momentumUpdate g", g, v.length);
  need("momentumUpdate out", out, v.length);
  for (let i = 0; i < v.length; i++) out[i] = mu * v[i]! + g[i]!;
}

/**
 * For the audit: s[m,n] = Σ_k a[m,k]·b[n,k] and S[m,n] = Σ_k |a[m,k]·b[n,k]| in binary64 (no rounding to
 * float32); b = null means all ones (row sums). Blocked 1 row × 4 rows of b.
 */
export function dotWithAbs(a: Float32Array, M: number, K: number, b: Float32Array | null, N: number, s: Float64Array, S: Float64Array): void {
  need("dotWithAbs a", a, M * K);
  if (b !== null) need("dotWithAbs b", b, N * K);
  need("dotWithAbs s", s, M * N);
  need("dotWithAbs S", S, M * N);
  for (let m = 0; m < M; m++) {
    const a0 = m * K;
    if (b === null) {
      let s0 = 0, S0 = 0;
      for (let k = 0; k < K; k++) {
        const x = a[a0 + k]!;
        s0 += x;
        S0 += Math.abs(x);
      }
      s[m] = s0;
      S[m] = S0;
      continue;
    }
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, S0 = 0, S1 = 0, S2 = 0, S3 = 0;
      for (let k = 0; k < K; k++) {
        const x = a[a0 + k]!;
        const p0 = x * b[b0 + k]!, p1 = x * b[b1 + k]!, p2 = x * b[b2 + k]!, p3 = x * b[b3 + k]!;
        s0 += p0; s1 += p1; s2 += p2; s3 += p3;
        S0 += Math.abs(p0); S1 += Math.abs(p1); S2 += Math.abs(p2); S3 += Math.abs(p3);
      }
      const o = m * N + n;
      s[o] = s0; s[o + 1] = s1; s[o + 2] = s2; s[o + 3] = s3;
      S[o] = S0; S[o + 1] = S1; S[o + 2] = S2; S[o + 3] = S3;
    }
    for (; n < N; n++) {
      const b0 = n * K;
      let s0 = 0, S0 = 0;
      for (let k = 0; k < K; k++) {
        const p = a[a0 + k]! * b[b0 + k]!;
        s0 += p;
        S0 += Math.abs(p);
      }
      s[m * N + n] = s0;
      S[m * N + n] = S0;
    }
  }
}
