/**
 * Training one rollup with the engine into its own trace directory `<traceRoot>/job<J>-r<k>`: one directory per
 * rollup, so a restarted trainer knows exactly what is done (a directory with a complete manifest) and retrains only
 * the rollup it was in (deterministically: the same start state, nonce and key give the same roots). The directory is
 * written under a temporary name and renamed when complete, so a crash never leaves a half trace under the real name.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import {
  BlsSeedProvider,
  CommitSink,
  HashSeedProvider,
  TraceReader,
  Trainer,
  WorkerCommitSink,
  makeAdversary,
  type Adversary,
  type AdversaryKind,
  type Dataset,
  type Job,
  type SeedProvider,
  type TraceManifest,
} from "@refereed/engine";

export class TrainingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TrainingError";
  }
}

/** The trace directory name of rollup `index` of job `jobId`. */
export const rollupTraceName = (jobId: bigint, index: number): string => `job${jobId}-r${index}`;

/** Rollups of at least this many steps are committed by a worker (its start-up, ~0.3 s, is paid once per rollup). */
export const WORKER_SINK_MIN_STEPS = 32;

export interface RollupTrainingInput {
  readonly job: Job;
  readonly data: Dataset;
  /** the BLS secret key (or, for the insecure hash scheme, the key bytes) */
  readonly sk: Uint8Array;
  readonly traceRoot: string;
  readonly jobId: bigint;
  readonly index: number;
  readonly firstStep: number;
  readonly count: number;
  /** the state before the rollup's first step (undefined: the job's deterministic init) */
  readonly startState?: readonly Float32Array[];
  /** a cheating trainer (tests and the demo) */
  readonly adversary?: Adversary | null;
  /** called after every step */
  readonly onStep?: (step: number, loss: number) => void;
  /** polled between steps: true stops the training (the partial directory is removed) */
  readonly stopped?: () => boolean;
}

export async function seedProvider(job: Job, sk: Uint8Array): Promise<SeedProvider> {
  switch (job.spec.seedScheme) {
    case "bls12-381":
      return BlsSeedProvider.fast(sk);
    case "hash-insecure":
      return new HashSeedProvider(sk);
    default:
      throw new TrainingError(`job spec seedScheme ${JSON.stringify(job.spec.seedScheme)} is not supported (bls12-381 or hash-insecure)`);
  }
}

/** The adversary of `kind` acting at `step` (null for none). */
export function adversaryFor(kind: "none" | AdversaryKind | undefined, job: Job, step: number): Adversary | null {
  return !kind || kind === "none" ? null : makeAdversary(kind, job, step);
}

/** A rollup trace on disk: complete, or not and why (`absent`: there is no trace there at all). */
export type RollupTraceStatus = { readonly complete: true } | { readonly complete: false; readonly absent: boolean; readonly reason: string };

/** Whether rollup trace `dir` holds exactly the rollup [firstStep, firstStep + count), and if not, why. */
export function rollupTraceStatus(dir: string, firstStep: number, count: number): RollupTraceStatus {
  const no = (reason: string, absent = false): RollupTraceStatus => ({ complete: false, absent, reason });
  if (!existsSync(join(dir, "manifest.json"))) return no(`no manifest in ${dir}`, true);
  let m: TraceManifest;
  try {
    m = TraceReader.open(dir).manifest;
  } catch (e) {
    return no(`unreadable: ${(e as Error).message}`);
  }
  const r = m.rollups[0];
  if (m.rollups.length !== 1 || !r) return no(`the manifest has ${m.rollups.length} rollups, expected 1`);
  if (r.firstStep !== firstStep || r.count !== count) return no(`it holds steps [${r.firstStep}, ${r.firstStep + r.count}), expected [${firstStep}, ${firstStep + count})`);
  if (m.iterations.length !== count) return no(`the manifest lists ${m.iterations.length} iterations, expected ${count}`);
  const missing = m.iterations.find((it) => !existsSync(join(dir, it.file)));
  if (missing) return no(`the file of step ${missing.step} (${missing.file}) is missing`);
  return { complete: true };
}

/** Whether rollup trace `dir` is complete (`rollupTraceStatus`). */
export function rollupTraceComplete(dir: string, firstStep: number, count: number): boolean {
  return rollupTraceStatus(dir, firstStep, count).complete;
}

/** The state after rollup trace `dir`: the update nodes' outputs of its last iteration. */
export function endStateOf(dir: string): Float32Array[] {
  const reader = TraceReader.open(dir);
  const m = reader.manifest;
  const last = m.iterations[m.iterations.length - 1];
  if (!last) throw new TrainingError(`trace ${dir} has no iteration`);
  const it = reader.readIteration(last.step);
  return reader.template.updateOf.map((u) => Float32Array.from(it.outputs[u]!));
}

/** Trains the rollup into `<traceRoot>/<name>` (replacing an incomplete one); returns its manifest. */
export async function trainRollup(i: RollupTrainingInput): Promise<TraceManifest> {
  const name = rollupTraceName(i.jobId, i.index);
  const dir = join(i.traceRoot, name);
  const tmp = join(i.traceRoot, `.${name}.partial`);
  rmSync(tmp, { recursive: true, force: true });
  // Commitments, journal and trace are made by a worker, from the shared slot each step is computed in, while the
  // next step trains (WorkerCommitSink); the in-thread sink is kept for short rollups, where starting the worker would
  // cost more than it saves.
  const sink =
    i.count >= WORKER_SINK_MIN_STEPS
      ? new WorkerCommitSink({ job: i.job, traceDir: tmp, rollupSize: i.count, firstStep: i.firstStep, keep: false })
      : new CommitSink({ job: i.job, traceDir: tmp, rollupSize: i.count, firstStep: i.firstStep, keep: false });
  let manifest: TraceManifest | null;
  try {
    const trainer = new Trainer({
      job: i.job,
      data: i.data,
      seeds: await seedProvider(i.job, i.sk),
      sink,
      state: i.startState,
      firstStep: i.firstStep,
      ...(i.adversary?.options ?? {}),
    });
    for (let s = 0; s < i.count; s++) {
      if (i.stopped?.()) throw new TrainingError(`training of rollup ${i.index} stopped at step ${i.firstStep + s}`);
      const loss = await trainer.runStep();
      i.onStep?.(i.firstStep + s, loss);
      await yieldToLoop(); // let the duty loop (games, finalization) run between steps
    }
    manifest = await sink.finish();
  } catch (e) {
    if (sink instanceof WorkerCommitSink) await sink.close(); // stop the worker before its directory goes
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (!manifest) throw new TrainingError(`rollup ${i.index}: the sink wrote no manifest`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return manifest;
}
