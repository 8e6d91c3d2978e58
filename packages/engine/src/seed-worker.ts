/**
 * Worker thread entry: evaluates dropout seeds (the VRF, mcl-wasm: well under 1 ms per BLS evaluation) and keep masks ahead of
 * the training loop. Seeds depend only on job fields and the step, never on training results, so they can be
 * computed early.
 *   in  {type: "seeds", step, batchId}  → out {type: "seeds", step, seeds, masks}
 *   out {type: "error", step, message}
 */
import { parentPort, workerData } from "node:worker_threads";
import { lowerThreadPriority } from "./thread-priority.js";
import { makeJob, type JobSpec } from "./job.js";
import { BlsSeedProvider, HashSeedProvider, type SeedProvider } from "./seeds.js";
import { numel } from "./graph.js";
import { fastKeepMask } from "./vdo.js";

export interface SeedWorkerData {
  readonly spec: JobSpec;
  readonly nonce: Uint8Array;
  readonly scheme: "bls12-381" | "hash-insecure";
  /** BLS secret key (32 bytes) or the insecure scheme's key */
  readonly key: Uint8Array;
  readonly evaluator: "mcl-wasm" | "noble";
  readonly background: boolean;
}

const data = workerData as SeedWorkerData;
const port = parentPort!;
if (data.background) lowerThreadPriority();
const job = makeJob(data.spec, data.nonce);
// (messages posted before the listener below is attached wait in the port's queue)
const provider: SeedProvider =
  data.scheme !== "bls12-381" ? new HashSeedProvider(data.key) : data.evaluator === "noble" ? new BlsSeedProvider(data.key) : await BlsSeedProvider.fast(data.key);

port.on("message", (msg: { type: "seeds"; step: number; batchId: number }) => {
  try {
    const seeds = [];
    const masks = [];
    for (const d of job.template.dropout) {
      const s = provider.seed({ modelId: job.modelId, step: msg.step, batchId: msg.batchId, nonce: job.nonce, layerId: d.layer });
      seeds.push(s);
      masks.push(fastKeepMask(s.y, { num: d.num, den: d.den }, numel(job.template.nodes[d.node]!.shape)));
    }
    port.postMessage({ type: "seeds", step: msg.step, seeds, masks }, masks.map((m) => m.buffer as ArrayBuffer));
  } catch (err) {
    port.postMessage({ type: "error", step: msg.step, message: (err as Error).message });
  }
});
