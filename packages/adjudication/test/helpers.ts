/**
 * Test fixtures: a small MLP with 784 inputs trained by the real engine with BLS VRF dropout seeds, written to a
 * trace store, and the verifier deployed on the in-process EDR chain.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vrfKeygen, type VrfKeyPair } from "@refereed/core";
import {
  BlsSeedProvider,
  CommitSink,
  TraceReader,
  Trainer,
  datasetRoot,
  makeAdversary,
  makeJob,
  makeJobSpec,
  type Adversary,
  type AdversaryKind,
  type Dataset,
  type Job,
  type MlpConfig,
} from "@refereed/engine";

/** 784 → 16 → 8 → 10, batch 4, dropout 1/5 after both hidden layers, momentum: every op of the engine. */
export const MODEL: MlpConfig = {
  sizes: [784, 16, 8, 10],
  batch: 4,
  dropout: [
    { num: 1, den: 5 },
    { num: 1, den: 5 },
  ],
  lr: 0.05,
  momentum: 0.9,
};

export const STEPS = 4;

/** Deterministic pseudo-random values in [0, 1) (xorshift32; test inputs only). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

/** 40 synthetic examples: pixels in [0, 1) with a quarter of them exactly 0 (like MNIST), labels (7i mod 10). */
export const DATA: Dataset = (() => {
  const n = 40;
  const pixels = values(n * 784, 2024).map((v) => (v < 0.25 ? 0 : v));
  return { n, dim: 784, classes: 10, pixels, labels: Float32Array.from({ length: n }, (_, i) => (i * 7) % 10) };
})();

export const KEY: VrfKeyPair = vrfKeygen(new Uint8Array(32).fill(8));

export function makeTestJob(): Job {
  const spec = makeJobSpec({
    model: MODEL,
    datasetRoot: datasetRoot(DATA),
    trainExamples: DATA.n,
    steps: 100,
    initSeed: new Uint8Array(32).fill(1),
    vrfKey: KEY.pk,
    seedScheme: "bls12-381",
  });
  return makeJob(spec, new Uint8Array(32).fill(3));
}

export interface TestTrace {
  readonly job: Job;
  readonly reader: TraceReader;
  readonly adversary: Adversary | null;
  readonly dir: string;
  cleanup(): void;
}

/** Trains STEPS steps (one rollup of STEPS iterations) honestly or with an adversary acting at `cheatStep`. */
export async function trainTrace(kind: AdversaryKind | "honest", cheatStep = 2, steps = STEPS): Promise<TestTrace> {
  const dir = mkdtempSync(join(tmpdir(), `refereed-onestep-${kind}-`));
  const job = makeTestJob();
  const adversary = kind === "honest" ? null : makeAdversary(kind, job, cheatStep);
  const sink = new CommitSink({ job, traceDir: dir, rollupSize: steps });
  const tr = new Trainer({ job, data: DATA, seeds: new BlsSeedProvider(KEY.sk), sink, ...(adversary?.options ?? {}) });
  for (let s = 0; s < steps; s++) await tr.runStep();
  sink.finish();
  return { job, reader: TraceReader.open(dir), adversary, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
