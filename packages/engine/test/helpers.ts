/** Shared test helpers: small deterministic inputs and jobs. */
import { makeJob, makeJobSpec, type Job, type JobSpec, type MlpConfig } from "../src/index.js";

/** Deterministic pseudo-random float32 values in [-1, 1) (xorshift32; only for test inputs). */
export function testValues(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = scale * (s / 2 ** 31 - 1);
  }
  return out;
}

export const DEFAULT_MODEL: MlpConfig = {
  sizes: [784, 128, 64, 10],
  batch: 64,
  dropout: [
    { num: 1, den: 10 },
    { num: 1, den: 10 },
  ],
  lr: 0.05,
  momentum: 0.9,
};

export function testJob(model: MlpConfig, opts: { trainExamples: number; steps?: number; nonceByte?: number; initByte?: number; datasetRoot?: Uint8Array }): Job {
  const spec: JobSpec = makeJobSpec({
    model,
    datasetRoot: opts.datasetRoot ?? new Uint8Array(32),
    trainExamples: opts.trainExamples,
    steps: opts.steps ?? 1000,
    initSeed: new Uint8Array(32).fill(opts.initByte ?? 1),
    vrfKey: new Uint8Array(32).fill(0xaa),
    seedScheme: "hash-insecure",
  });
  return makeJob(spec, new Uint8Array(32).fill(opts.nonceByte ?? 9));
}
