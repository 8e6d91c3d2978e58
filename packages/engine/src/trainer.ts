/**
 * The training loop: for step s, gather the batch the schedule names, derive each dropout layer's seed from
 * the seed provider and its keep mask from the PRG (core/prg.ts), run the graph, move the state to the update
 * nodes' outputs. An optional IterationSink sees every iteration (all node outputs, the seeds and masks)
 * before the next one overwrites them: that is where commitments and the trace are made.
 */
import { ConfigError } from "./errors.js";
import { countCorrect, Executor } from "./executor.js";
import type { GraphNode } from "./graph.js";
import type { Dataset } from "./dataset.js";
import type { GraphTemplate } from "./graph.js";
import { fromHexSeed } from "./util.js";
import { initState } from "./init.js";
import type { Job } from "./job.js";
import { BatchSchedule } from "./schedule.js";
import type { DropoutSeed, SeedProvider } from "./seeds.js";
import { fastKeepMask } from "./vdo.js";

export interface IterationRecord {
  readonly step: number;
  readonly batchId: number;
  readonly examples: Uint32Array;
  readonly executor: Executor;
  /** per dropout layer (journal ordinal order) */
  readonly seeds: readonly DropoutSeed[];
  readonly masks: readonly Uint8Array[];
  /**
   * every output is the engine's kernel applied to the parameters, the batch and masks drawn from the journal's
   * seeds (no hook changed an output, no mask was overridden): a trace may store the source nodes only and let its
   * reader replay the rest (trace.ts `storedNodes`)
   */
  readonly replayable: boolean;
}

export interface IterationSink {
  /** Called after step `rec.step` ran; may be async (the trainer awaits it before reusing buffers). */
  iteration(rec: IterationRecord): void | Promise<void>;
  /**
   * Optional: a buffer (laid out by `bufferLayout`) for the next step's node outputs. The trainer computes the step
   * there, so the sink receives it in place instead of copying it in `iteration`.
   */
  buffer?(): ArrayBuffer | SharedArrayBuffer | Promise<ArrayBuffer | SharedArrayBuffer>;
}

/**
 * Supplies each step's dropout seeds and keep masks (e.g. from a worker that runs the VRF ahead). Each mask must be the
 * PRG's mask of its seed (`fastKeepMask(seed.y, rate, n)`, SPEC §5.1): the trainer reports such iterations replayable,
 * and a trace reader redraws the masks from the journal (a source that does otherwise makes traces that fail their
 * root checks).
 */
export interface DropoutSource {
  get(step: number, batchId: number): Promise<{ seeds: DropoutSeed[]; masks: Uint8Array[] }>;
}

/** Changes a node's output after it is computed (adversaries only); sees the step and its dropout seeds. */
export type StepHook = (
  node: GraphNode,
  out: Float32Array,
  outputs: readonly Float32Array[],
  ctx: { readonly step: number; readonly seeds: readonly DropoutSeed[]; readonly masks: readonly Uint8Array[] },
) => void;

export interface TrainerOptions {
  readonly job: Job;
  /** the training set (N examples, must match the job spec) */
  readonly data: Dataset;
  readonly seeds: SeedProvider;
  /** when given, seeds and masks come from here instead of `seeds` (which then only names the scheme) */
  readonly dropoutSource?: DropoutSource;
  /** start state; default: the deterministic init from the job's initSeed */
  readonly state?: readonly Float32Array[];
  /** first step; default 0 */
  readonly firstStep?: number;
  readonly sink?: IterationSink;
  /** changes node outputs after they are computed (adversaries only) */
  readonly hook?: StepHook;
  /** overrides the mask of a dropout layer (adversaries only) */
  readonly maskOverride?: (step: number, ordinal: number, honest: Uint8Array) => Uint8Array;
  /** overrides the example ids of a step (adversaries only) */
  readonly batchOverride?: (step: number, honest: Uint32Array) => Uint32Array;
  /** use a SharedArrayBuffer for the node outputs (so a worker can read them) */
  readonly shared?: boolean;
}

export class Trainer {
  readonly template: GraphTemplate;
  readonly executor: Executor;
  readonly schedule: BatchSchedule;
  /** the current state (the input of the next step) */
  state: Float32Array[];
  step: number;
  private readonly x: Float32Array;
  private readonly y: Float32Array;

  constructor(readonly opts: TrainerOptions) {
    const { job, data } = opts;
    this.template = job.template;
    if (data.n !== job.spec.trainExamples) throw new ConfigError("data", `job expects ${job.spec.trainExamples} training examples, got ${data.n}`);
    if (data.dim !== this.template.inputDim) throw new ConfigError("data", `examples have ${data.dim} values, the model takes ${this.template.inputDim}`);
    this.executor = new Executor(this.template, { shared: opts.shared ?? false });
    this.schedule = new BatchSchedule({ nonce: job.nonce, n: data.n, batch: this.template.batch });
    const start = opts.state ?? initState(this.template, fromHexSeed(job.spec.initSeed));
    this.state = start.map((s) => Float32Array.from(s));
    this.step = opts.firstStep ?? 0;
    this.x = new Float32Array(this.template.batch * this.template.inputDim);
    this.y = new Float32Array(this.template.batch);
  }

  /** Runs one step; returns the mean loss of the batch. */
  async runStep(): Promise<number> {
    const { job, data, seeds: provider } = this.opts;
    const t = this.template;
    const step = this.step;
    let examples = this.schedule.examples(step);
    if (this.opts.batchOverride) examples = this.opts.batchOverride(step, examples);
    const batchId = step % this.schedule.stepsPerEpoch;
    const D = t.inputDim;
    for (let j = 0; j < t.batch; j++) {
      const e = examples[j]!;
      this.x.set(data.pixels.subarray(e * D, (e + 1) * D), j * D);
      this.y[j] = data.labels[e]!;
    }
    let seeds: DropoutSeed[] = [];
    let masks: Uint8Array[] = [];
    if (this.opts.dropoutSource) {
      ({ seeds, masks } = await this.opts.dropoutSource.get(step, batchId));
    } else {
      for (const d of t.dropout) {
        const s = provider.seed({ modelId: job.modelId, step, batchId, nonce: job.nonce, layerId: d.layer });
        seeds.push(s);
        masks.push(fastKeepMask(s.y, { num: d.num, den: d.den }, this.executor.outputs[d.node]!.length));
      }
    }
    if (this.opts.maskOverride) masks = masks.map((m, k) => this.opts.maskOverride!(step, k, m));
    if (this.opts.sink?.buffer) this.executor.bind(await this.opts.sink.buffer());
    const hook = this.opts.hook;
    const ctx = { step, seeds, masks };
    this.executor.run({ params: this.state, x: this.x, y: this.y, masks }, hook ? (n, out, o) => hook(n, out, o, ctx) : undefined);
    const loss = this.executor.meanLoss();
    const replayable = !hook && !this.opts.maskOverride;
    if (this.opts.sink) await this.opts.sink.iteration({ step, batchId, examples, executor: this.executor, seeds, masks, replayable });
    const next = this.executor.nextState();
    for (let p = 0; p < this.state.length; p++) this.state[p]!.set(next[p]!);
    this.step++;
    return loss;
  }

  /** Test accuracy of the current state on `test` (no dropout). */
  accuracy(test: Dataset): number {
    return countCorrect(this.template, this.state, test.pixels, test.labels, test.n) / test.n;
  }
}
