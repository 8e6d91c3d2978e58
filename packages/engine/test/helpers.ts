/** Shared test helpers: small deterministic inputs and jobs. */
import { CommitSink, HashSeedProvider, TraceReader, Trainer, datasetRoot, makeAdversary, makeJob, makeJobSpec, type AdversaryKind, type Dataset, type Job, type JobSpec, type MlpConfig } from "../src/index.js";

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
  lr: 0.1,
  momentum: 0.8,
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

// ── a small traced job for the audit tests (audit.test.ts, audit-worker.test.ts) ──

export const AUDIT_MODEL: MlpConfig = { ...DEFAULT_MODEL, sizes: [784, 32, 16, 10], batch: 16 };
export const AUDIT_DATA: Dataset = { n: 128, dim: 784, classes: 10, pixels: testValues(128 * 784, 77).map((v) => Math.abs(v)), labels: Float32Array.from({ length: 128 }, (_, i) => (i * 7) % 10) };
export const AUDIT_STEPS = 5;
export const CHEAT_STEP = 2;

/** Trains AUDIT_STEPS steps of the audit job (honest, or with adversary `kind` at CHEAT_STEP) into a trace at `dir`. */
export async function auditTrace(kind: AdversaryKind | "honest", dir: string) {
  const job = testJob(AUDIT_MODEL, { trainExamples: 128, datasetRoot: datasetRoot(AUDIT_DATA) });
  const adv = kind === "honest" ? null : makeAdversary(kind, job, CHEAT_STEP);
  const sink = new CommitSink({ job, traceDir: dir, rollupSize: 8 });
  const tr = new Trainer({ job, data: AUDIT_DATA, seeds: new HashSeedProvider(new Uint8Array(32).fill(4)), sink, ...(adv?.options ?? {}) });
  for (let s = 0; s < AUDIT_STEPS; s++) await tr.runStep();
  sink.finish();
  return { job, adv, reader: TraceReader.open(dir) };
}
