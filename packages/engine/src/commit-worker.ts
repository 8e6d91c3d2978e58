/**
 * Worker thread entry: commits iterations (and writes the trace store) beside the training loop.
 * Protocol (messages from pipeline.ts):
 *   in  {type: "iteration", slot, step, examples, seeds, masks, replayable, sourcesOnly}   node outputs are in
 *       workerData.slots[slot]
 *   out {type: "committed", slot, step, nodeRoots, graphRoot, journalRoot, leaf, journal}
 *   in  {type: "finish"}  → out {type: "finished", manifest}
 *   out {type: "error", message, stack}
 */
import { parentPort, workerData } from "node:worker_threads";
import { lowerThreadPriority } from "./thread-priority.js";
import { IterationCommitter } from "./commit.js";
import { bufferLayout } from "./executor.js";
import { makeJob, type JobSpec } from "./job.js";
import type { DropoutSeed } from "./seeds.js";
import { storedNodes, TraceWriter } from "./trace.js";

export interface CommitWorkerData {
  readonly spec: JobSpec;
  readonly nonce: Uint8Array;
  readonly slots: SharedArrayBuffer[];
  readonly traceDir: string | null;
  readonly rollupSize: number;
  readonly firstStep: number;
  readonly background: boolean;
}

export interface IterationMessage {
  readonly type: "iteration";
  readonly slot: number;
  readonly step: number;
  readonly examples: Uint32Array;
  readonly seeds: DropoutSeed[];
  readonly masks: Uint8Array[];
  /** the trainer's `IterationRecord.replayable` (no hook changed an output, no mask was overridden) */
  readonly replayable: boolean;
  /** store only the source nodes (the record is replayable and the sink allows it) */
  readonly sourcesOnly: boolean;
}

const data = workerData as CommitWorkerData;
const port = parentPort!;
if (data.background) lowerThreadPriority();
const job = makeJob(data.spec, data.nonce);
const layout = bufferLayout(job.template);
const views = data.slots.map((sab) => job.template.nodes.map((_, i) => new Float32Array(sab, layout.offsets[i]!, layout.lengths[i]!)));
const committer = new IterationCommitter(job.template);
const storage = { replayed: storedNodes(job.template, true), all: storedNodes(job.template, false) };
const writer = data.traceDir ? new TraceWriter({ dir: data.traceDir, job, rollupSize: data.rollupSize, firstStep: data.firstStep }) : null;

port.on("message", (msg: IterationMessage | { type: "finish" }) => {
  try {
    if (msg.type === "finish") {
      port.postMessage({ type: "finished", manifest: writer ? writer.finish() : null });
      return;
    }
    const outputs = views[msg.slot]!;
    const c = committer.commit({ step: msg.step, outputs, seeds: msg.seeds, masks: msg.masks, replayable: msg.replayable });
    if (writer) writer.writeIteration(c, outputs, msg.examples, msg.sourcesOnly ? storage.replayed : storage.all);
    port.postMessage({
      type: "committed",
      slot: msg.slot,
      step: c.step,
      nodeRoots: c.nodeRoots,
      graphRoot: c.graphRoot,
      journalRoot: c.journalRoot,
      leaf: c.leaf,
      journal: c.journal,
    });
  } catch (err) {
    const e = err as Error;
    port.postMessage({ type: "error", message: e.message, stack: e.stack });
  }
});
