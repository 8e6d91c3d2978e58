import { matmulNT, transpose } from "./src/kernels.js";
function rnd(n: number) { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.sin(i * 1.7); return a; }
const cases: [number, number, number][] = [[64, 784, 128], [128, 64, 784], [64, 128, 64], [64, 64, 128], [64, 64, 10]];
for (const [M, K, N] of cases) {
  const a = rnd(M * K), b = rnd(N * K), o = new Float32Array(M * N), bias = rnd(N);
  for (let i = 0; i < 20; i++) matmulNT(a, M, K, b, N, bias, o);
  const t = performance.now(); const R = 100;
  for (let i = 0; i < R; i++) matmulNT(a, M, K, b, N, bias, o);
  const ms = (performance.now() - t) / R;
  console.log(M, K, N, ms.toFixed(3), "ms", (M * K * N / ms / 1e6).toFixed(2), "GMAC/s");
}
const x = rnd(64 * 784), xt = new Float32Array(64 * 784);
let t = performance.now(); for (let i = 0; i < 200; i++) transpose(x, 64, 784, xt); console.log("transpose", (performance.now() - t) / 200);
