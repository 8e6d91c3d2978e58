/**
 * `audit()` on a worker thread: an audit recomputes every node of every audited iteration (seconds to minutes
 * of CPU on a real model), so a process that must stay responsive meanwhile (the challenger daemon: its chain
 * follower, metrics endpoint, other games' clocks) runs it here. One worker per audit; it opens the trace
 * directory itself, so only the directory name, the step range and the dataset cross the thread boundary, and the
 * dataset's arrays are shared, not copied (see `sharedDataset`). The result is `audit()`'s own, structured-cloned.
 *
 * The promise always settles: with the result; with a WorkerError naming the error the audit threw (a missing
 * trace, a step outside the source, …); with a WorkerError when the worker dies without answering; or with the
 * signal's reason when the caller aborts (the worker is terminated).
 */
import { Worker } from "node:worker_threads";
import type { AuditResult } from "./audit.js";
import type { AuditWorkerData, AuditWorkerMessage } from "./audit-worker.js";
import type { Dataset } from "./dataset.js";
import { WorkerError } from "./pipeline.js";
import { tsWorkerExecArgv } from "./worker-loader.js";

export interface WorkerAuditOptions {
  /** a trace directory (manifest.json and iteration files), as TraceReader.open takes it */
  readonly traceDir: string;
  /** the audit source's range (default: the trace's own first step and iteration count) */
  readonly firstStep?: number;
  readonly count?: number;
  /** audit only these steps (default: all of the source) */
  readonly steps?: readonly number[];
  /** the training set (must hash to the job's dataset root unless `datasetChecked`) */
  readonly data: Dataset;
  readonly datasetChecked?: boolean;
  /** verify each iteration against its roots when read (default true; false when the caller already did) */
  readonly verifyRoots?: boolean;
  /** aborting terminates the worker and rejects with the signal's reason */
  readonly signal?: AbortSignal;
}


const shared = new WeakMap<Dataset, Dataset>();

function toShared(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new Float32Array(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}

/** The dataset with its arrays in shared memory: copied once per dataset object (datasets are never mutated), then
 * handed to every worker without a copy. */
export function sharedDataset(d: Dataset): Dataset {
  const hit = shared.get(d);
  if (hit) return hit;
  const s: Dataset = { n: d.n, dim: d.dim, classes: d.classes, pixels: toShared(d.pixels), labels: toShared(d.labels) };
  shared.set(d, s);
  return s;
}

/** Runs `audit()` of a trace directory on a worker thread; resolves with the same AuditResult. */
export function auditInWorker(opts: WorkerAuditOptions): Promise<AuditResult> {
  if (opts.signal?.aborted) return Promise.reject(opts.signal.reason as Error);
  const wd: AuditWorkerData = {
    traceDir: opts.traceDir,
    firstStep: opts.firstStep ?? null,
    count: opts.count ?? null,
    steps: opts.steps ? [...opts.steps] : null,
    data: sharedDataset(opts.data),
    datasetChecked: opts.datasetChecked ?? false,
    verifyRoots: opts.verifyRoots ?? true,
  };
  return new Promise<AuditResult>((resolve, reject) => {
    const worker = new Worker(new URL("./audit-worker.ts", import.meta.url), { workerData: wd, execArgv: tsWorkerExecArgv() });
    let settled = false;
    const onAbort = () => {
      settle(() => reject(opts.signal!.reason as Error));
      void worker.terminate();
    };
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      f();
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (m: AuditWorkerMessage) => {
      if (m.type === "result") settle(() => resolve(m.result));
      else settle(() => reject(new WorkerError("audit", `${m.name}: ${m.message}`, m.stack)));
    });
    worker.on("messageerror", (e) => settle(() => reject(new WorkerError("audit", `the result cannot be read: ${e.message}`))));
    worker.on("error", (e) => settle(() => reject(new WorkerError("audit", `crashed: ${e.message}`, e.stack))));
    worker.on("exit", (code) => settle(() => reject(new WorkerError("audit", `exited with code ${code} before answering`))));
  });
}
