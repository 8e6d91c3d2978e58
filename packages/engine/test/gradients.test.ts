/**
 * Gradient checks: every backward op of the engine (float32) against central finite differences of the
 * forward function evaluated in binary64.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { keepMask } from "@refereed/core";
import {
  Executor,
  crossEntropyGrad,
  dropoutApply,
  matmulNT,
  mlpTemplate,
  reluBackward,
  rowSum,
  softmax,
  transpose,
  type GraphTemplate,
} from "../src/index.js";
import { testValues } from "./helpers.js";

/** Central difference of f at v[i] in binary64. */
function fd(f: () => number, v: Float64Array, i: number, h: number): number {
  const old = v[i]!;
  v[i] = old + h;
  const up = f();
  v[i] = old - h;
  const down = f();
  v[i] = old;
  return (up - down) / (2 * h);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= rel * Math.abs(e) + abs, `${what}[${i}]: engine ${a}, finite difference ${e}`);
  }
}

test("linear backward (dW via transposes + matmul_nt, db via row_sum, dx via transposed weights) matches finite differences", () => {
  const M = 6, K = 9, N = 5;
  const x = testValues(M * K, 1), w = testValues(N * K, 2), b = testValues(N, 3), G = testValues(M * N, 4);
  const xd = Float64Array.from(x), wd = Float64Array.from(w), bd = Float64Array.from(b);
  const f = () => {
    let s = 0;
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let z = bd[n]!;
        for (let k = 0; k < K; k++) z += xd[m * K + k]! * wd[n * K + k]!;
        s += G[m * N + n]! * z;
      }
    return s;
  };
  const GT = new Float32Array(N * M), xT = new Float32Array(K * M), wT = new Float32Array(K * N);
  transpose(G, M, N, GT);
  transpose(x, M, K, xT);
  transpose(w, N, K, wT);
  const dW = new Float32Array(N * K), db = new Float32Array(N), dx = new Float32Array(M * K);
  matmulNT(GT, N, M, xT, K, null, dW);
  rowSum(GT, N, M, db);
  matmulNT(G, M, N, wT, K, null, dx);
  assertClose(dW, Array.from(wd, (_, i) => fd(f, wd, i, 1e-3)), 1e-5, 1e-6, "dW");
  assertClose(db, Array.from(bd, (_, i) => fd(f, bd, i, 1e-3)), 1e-5, 1e-6, "db");
  assertClose(dx, Array.from(xd, (_, i) => fd(f, xd, i, 1e-3)), 1e-5, 1e-6, "dx");
});

test("relu backward matches finite differences away from the kink", () => {
  const n = 200;
  const z = testValues(n, 5), G = testValues(n, 6);
  for (let i = 0; i < n; i++) if (Math.abs(z[i]!) < 0.01) z[i] = 0.5;
  const zd = Float64Array.from(z);
  const f = () => zd.reduce((s, v, i) => s + G[i]! * Math.max(v, 0), 0);
  const g = new Float32Array(n);
  reluBackward(G, z, g);
  assertClose(g, Array.from(zd, (_, i) => fd(f, zd, i, 1e-4)), 1e-6, 1e-7, "relu'");
});

test("dropout backward (same mask, same scale) matches finite differences", () => {
  const n = 300;
  const x = testValues(n, 7), G = testValues(n, 8);
  const rate = { num: 3, den: 10 };
  const mask = keepMask(new Uint8Array(32).fill(3), rate, n);
  const s = 10 / 7;
  const xd = Float64Array.from(x);
  const f = () => xd.reduce((acc, v, i) => acc + G[i]! * (mask[i] ? v * s : 0), 0);
  const g = new Float32Array(n);
  dropoutApply(G, mask, s, g);
  assertClose(g, Array.from(xd, (_, i) => fd(f, xd, i, 1e-3)), 1e-6, 1e-7, "dropout'");
});

test("softmax cross-entropy gradient matches finite differences of the mean loss", () => {
  const B = 7, C = 10;
  const z = testValues(B * C, 9, 4);
  const y = Float32Array.from({ length: B }, (_, b) => (b * 3) % C);
  const zd = Float64Array.from(z);
  const f = () => {
    let L = 0;
    for (let b = 0; b < B; b++) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, zd[b * C + c]!);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(zd[b * C + c]! - m);
      L += Math.log(s) + m - zd[b * C + y[b]!]!;
    }
    return L / B;
  };
  const p = new Float32Array(B * C), g = new Float32Array(B * C);
  softmax(z, B, C, p);
  crossEntropyGrad(p, y, B, C, g);
  assertClose(g, Array.from(zd, (_, i) => fd(f, zd, i, 1e-4)), 1e-5, 1e-7, "dL/dz");
});

/** binary64 loss of the whole MLP graph for given params and masks. */
function referenceLoss(t: GraphTemplate, params: Float64Array[], x: Float32Array, y: Float32Array, masks: Uint8Array[]): number {
  const L = t.sizes.length - 1;
  const B = t.batch;
  let h: Float64Array = Float64Array.from(x);
  for (let l = 0; l < L; l++) {
    const I = t.sizes[l]!, O = t.sizes[l + 1]!;
    const w = params[2 * l]!, b = params[2 * l + 1]!;
    const z = new Float64Array(B * O);
    for (let r = 0; r < B; r++)
      for (let o = 0; o < O; o++) {
        let s = b[o]!;
        for (let i = 0; i < I; i++) s += h[r * I + i]! * w[o * I + i]!;
        z[r * O + o] = s;
      }
    if (l < L - 1) {
      const d = t.dropout[l]!;
      const sc = d.den / (d.den - d.num);
      for (let i = 0; i < z.length; i++) z[i] = masks[l]![i] ? Math.max(z[i]!, 0) * sc : 0;
    }
    h = z;
  }
  const C = t.classes;
  let loss = 0;
  for (let r = 0; r < B; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, h[r * C + c]!);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(h[r * C + c]! - m);
    loss += Math.log(s) + m - h[r * C + y[r]!]!;
  }
  return loss / B;
}

test("the whole MLP graph: every weight and bias gradient node matches finite differences of the binary64 loss", () => {
  const t = mlpTemplate({ sizes: [12, 8, 6, 4], batch: 5, dropout: [{ num: 1, den: 4 }, { num: 1, den: 4 }], lr: 0.1 });
  const params = t.params.map((p, i) => testValues(p.shape.reduce((a, b) => a * b, 1), 100 + i, 0.6));
  const x = testValues(5 * 12, 50);
  const y = Float32Array.of(0, 3, 1, 2, 3);
  const masks = t.dropout.map((d, i) => keepMask(new Uint8Array(32).fill(20 + i), d, t.nodes[d.node]!.shape.reduce((a, b) => a * b, 1)));
  const ex = new Executor(t);
  ex.run({ params, x, y, masks });
  const pd = params.map((p) => Float64Array.from(p));
  const f = () => referenceLoss(t, pd, x, y, masks);
  let checked = 0;
  for (let l = 0; l < 3; l++) {
    for (const [suffix, p] of [["dw", 2 * l], ["db", 2 * l + 1]] as const) {
      const node = t.nodes.find((n) => n.name === `fc${l + 1}.${suffix}`)!;
      const grad = ex.outputs[node.id]!;
      const expected = Array.from(pd[p]!, (_, i) => fd(f, pd[p]!, i, 1e-4));
      assertClose(grad, expected, 1e-3, 2e-6, `${node.name}`);
      checked += grad.length;
    }
  }
  assert.equal(checked, t.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0));
  // and the update node applies w − lr·g
  const w1next = ex.outputs[t.updateOf[0]!]!;
  const g1 = ex.outputs[t.nodes.find((n) => n.name === "fc1.dw")!.id]!;
  for (let i = 0; i < w1next.length; i++) assert.equal(w1next[i], Math.fround(params[0]![i]! - Math.fround(0.1) * g1[i]!));
});
