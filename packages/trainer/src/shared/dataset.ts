/**
 * The training set of a job. Convention shared with the CLI's `job spec` command: a job's dataset is the first
 * `spec.trainExamples` digits of the canonical MNIST order (`loadMnist(n).train`); the spec's dataset root must match,
 * so a job that was made from other data is refused with a clear error instead of being trained or audited wrongly.
 */
import { datasetRoot, loadMnist, type Dataset, type JobSpec } from "@refereed/engine";
import { toHex } from "@refereed/core";

export class DatasetMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly examples: number,
  ) {
    super(`the job's dataset root is ${expected}, but the first ${examples} MNIST training digits hash to ${actual}: the job was made from other data (pass the dataset explicitly)`);
    this.name = "DatasetMismatchError";
  }
}

const cache = new Map<string, Dataset>();

/** The job's training set, checked against `spec.datasetRoot` (an explicit `dataset` is checked too). */
export function loadJobDataset(spec: JobSpec, dataset?: Dataset): Dataset {
  const key = `${spec.trainExamples}:${spec.datasetRoot}`;
  if (!dataset) {
    const hit = cache.get(key);
    if (hit) return hit;
  }
  const d = dataset ?? loadMnist(spec.trainExamples).train;
  const root = toHex(datasetRoot(d));
  if (root !== spec.datasetRoot) throw new DatasetMismatchError(spec.datasetRoot, root, d.n);
  cache.set(key, d);
  return d;
}
