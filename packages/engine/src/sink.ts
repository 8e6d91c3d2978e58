/**
 * In-process commitment sink: commits every iteration on the training thread (simple, deterministic; the
 * worker pipeline in pipeline.ts does the same work beside the training loop).
 */
import { IterationCommitter, type IterationCommitment } from "./commit.js";
import type { Job } from "./job.js";
import { storedNodes, TraceWriter, type TraceManifest } from "./trace.js";
import type { IterationRecord, IterationSink } from "./trainer.js";

export interface CommitSinkOptions {
  readonly job: Job;
  /** write a trace store here (omit to only compute the roots) */
  readonly traceDir?: string;
  readonly rollupSize?: number;
  readonly firstStep?: number;
  /** keep every commitment in memory (default true) */
  readonly keep?: boolean;
  /** let the trace store only the source nodes of replayable iterations (default true; TRACE_FORMAT.md) */
  readonly replay?: boolean;
}

export class CommitSink implements IterationSink {
  readonly committer: IterationCommitter;
  readonly writer: TraceWriter | null;
  readonly commitments: IterationCommitment[] = [];

  constructor(readonly opts: CommitSinkOptions) {
    this.committer = new IterationCommitter(opts.job.template);
    this.writer = opts.traceDir
      ? new TraceWriter({ dir: opts.traceDir, job: opts.job, rollupSize: opts.rollupSize ?? 16, firstStep: opts.firstStep ?? 0 })
      : null;
  }

  iteration(rec: IterationRecord): void {
    const outputs = rec.executor.outputs;
    const c = this.committer.commit({ step: rec.step, outputs, seeds: rec.seeds, masks: rec.masks, replayable: rec.replayable });
    if (this.writer) this.writer.writeIteration(c, outputs, rec.examples, storedNodes(this.opts.job.template, rec.replayable && this.opts.replay !== false));
    if (this.opts.keep !== false) this.commitments.push(c);
  }

  finish(): TraceManifest | null {
    return this.writer ? this.writer.finish() : null;
  }
}
