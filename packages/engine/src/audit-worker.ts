/**
 * Worker thread entry: runs one audit (audit.ts) off the caller's thread and exits. The worker rebuilds the audit
 * source itself from the trace directory; the dataset arrives shared (SharedArrayBuffer), not copied.
 * Protocol (one message, then the worker exits; see audit-thread.ts):
 *   out {type: "result", result}                  the AuditResult, as `audit()` returns it
 *   out {type: "error", name, message, stack}     anything the audit (or opening the trace) threw
 */
import { parentPort, workerData } from "node:worker_threads";
import { lowerThreadPriority } from "./thread-priority.js";
import { audit, traceSource, type AuditResult, type AuditSource } from "./audit.js";
import type { Dataset } from "./dataset.js";
import { TraceReader } from "./trace.js";

export interface AuditWorkerData {
  readonly traceDir: string;
  /** the source's range; null: the trace's own (as traceSource) */
  readonly firstStep: number | null;
  readonly count: number | null;
  readonly steps: readonly number[] | null;
  /** typed arrays backed by SharedArrayBuffers */
  readonly data: Dataset;
  readonly datasetChecked: boolean;
  /** verify each iteration against its roots when read (false: the caller already did) */
  readonly verifyRoots: boolean;
}

export type AuditWorkerMessage = { readonly type: "result"; readonly result: AuditResult } | { readonly type: "error"; readonly name: string; readonly message: string; readonly stack?: string };

const d = workerData as AuditWorkerData;
const port = parentPort!;
lowerThreadPriority();

let msg: AuditWorkerMessage;
try {
  const own = traceSource(TraceReader.open(d.traceDir), { verifyRoots: d.verifyRoots });
  const src: AuditSource = { ...own, firstStep: d.firstStep ?? own.firstStep, count: d.count ?? own.count };
  const result = audit(src, { data: d.data, ...(d.steps ? { steps: d.steps } : {}), datasetChecked: d.datasetChecked });
  msg = { type: "result", result };
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  msg = { type: "error", name: e.name, message: e.message, stack: e.stack };
}
port.postMessage(msg);
