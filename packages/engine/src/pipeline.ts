/**
 * Moves the protocol's extra work off the training thread:
 * - WorkerCommitSink: the trainer computes each step straight into one of its shared slots (`buffer()`; with
 *   `zeroCopy: false`, into its own buffer, copied into a slot after the step) and a worker computes the roots and
 *   writes the trace while the next step trains. The trainer waits only when every slot is still being hashed.
 * - WorkerDropoutSource: a worker evaluates the dropout seeds (VRF) and masks `lookahead` steps ahead.
 */
import { Worker } from "node:worker_threads";
import type { JournalEntry } from "@refereed/core";
import type { IterationCommitment } from "./commit.js";
import type { CommitWorkerData, IterationMessage } from "./commit-worker.js";
import { EngineError } from "./errors.js";
import { bufferLayout } from "./executor.js";
import { tsWorkerExecArgv } from "./worker-loader.js";
import type { Job } from "./job.js";
import type { SeedWorkerData } from "./seed-worker.js";
import type { DropoutSeed } from "./seeds.js";
import type { TraceManifest } from "./trace.js";
import type { DropoutSource, IterationRecord, IterationSink } from "./trainer.js";

export class WorkerError extends EngineError {
  constructor(
    readonly worker: string,
    message: string,
    readonly workerStack?: string,
  ) {
    super(`${worker} worker: ${message}`);
    this.name = "WorkerError";
  }
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface WorkerCommitSinkOptions {
  readonly job: Job;
  readonly traceDir?: string;
  readonly rollupSize?: number;
  readonly firstStep?: number;
  /** keep every commitment in memory (default true) */
  readonly keep?: boolean;
  /** number of shared slots (default 3: one being computed, two being hashed or queued) */
  readonly slots?: number;
  /** hand the trainer a slot to compute into (default true); false copies each step's outputs into a slot */
  readonly zeroCopy?: boolean;
  /** run the worker at background priority (default true; thread-priority.ts) */
  readonly background?: boolean;
  /** let the trace store only the source nodes of replayable iterations (default true; TRACE_FORMAT.md) */
  readonly replay?: boolean;
}

type CommittedMessage = {
  type: "committed";
  slot: number;
  step: number;
  nodeRoots: Uint8Array[];
  graphRoot: Uint8Array;
  journalRoot: Uint8Array;
  leaf: Uint8Array;
  journal: JournalEntry[];
};

export class WorkerCommitSink implements IterationSink {
  readonly commitments: IterationCommitment[] = [];
  private readonly worker: Worker;
  private readonly slots: SharedArrayBuffer[];
  private readonly free: number[];
  private readonly waiters: Deferred<number>[] = [];
  private finished: Deferred<TraceManifest | null> | null = null;
  private failure: Error | null = null;
  private inFlight = 0;
  private idle: Deferred<void> | null = null;
  /** the slot handed out by `buffer()` for the step being computed */
  private bound: number | null = null;

  constructor(readonly opts: WorkerCommitSinkOptions) {
    const layout = bufferLayout(opts.job.template);
    const n = opts.slots ?? 3;
    if (!Number.isInteger(n) || n < 2) throw new EngineError(`a commit sink needs at least 2 slots, got ${n}`);
    if (opts.zeroCopy !== false) this.buffer = () => this.bindSlot();
    this.slots = Array.from({ length: n }, () => new SharedArrayBuffer(layout.byteLength));
    this.free = this.slots.map((_, i) => i);
    const wd: CommitWorkerData = {
      spec: opts.job.spec,
      nonce: opts.job.nonce,
      slots: this.slots,
      traceDir: opts.traceDir ?? null,
      rollupSize: opts.rollupSize ?? 16,
      firstStep: opts.firstStep ?? 0,
      background: opts.background ?? true,
    };
    this.worker = new Worker(new URL("./commit-worker.ts", import.meta.url), { workerData: wd, execArgv: tsWorkerExecArgv() });
    this.worker.on("message", (m: CommittedMessage | { type: "finished"; manifest: TraceManifest | null } | { type: "error"; message: string; stack?: string }) => {
      if (m.type === "committed") {
        if (this.opts.keep !== false) {
          this.commitments.push({ step: m.step, nodeRoots: m.nodeRoots, graphRoot: m.graphRoot, journalRoot: m.journalRoot, leaf: m.leaf, journal: m.journal });
        }
        this.release(m.slot);
      } else if (m.type === "finished") {
        this.finished?.resolve(m.manifest);
      } else {
        this.fail(new WorkerError("commit", m.message, m.stack));
      }
    });
    this.worker.on("error", (e) => this.fail(new WorkerError("commit", e.message, e.stack)));
  }

  private fail(e: Error): void {
    this.failure = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
    this.finished?.reject(e);
    this.idle?.reject(e);
  }

  private release(slot: number): void {
    this.inFlight--;
    const w = this.waiters.shift();
    if (w) w.resolve(slot);
    else this.free.push(slot);
    if (this.inFlight === 0 && this.idle) {
      this.idle.resolve();
      this.idle = null;
    }
  }

  private acquire(): Promise<number> | number {
    if (this.failure) throw this.failure;
    const s = this.free.pop();
    if (s !== undefined) return s;
    const d = deferred<number>();
    this.waiters.push(d);
    return d.promise;
  }

  /** A free slot for the next step's outputs (waits while every slot is being hashed); absent with `zeroCopy: false`. */
  readonly buffer?: () => Promise<SharedArrayBuffer>;

  private async bindSlot(): Promise<SharedArrayBuffer> {
    if (this.bound === null) {
      const got = this.acquire();
      this.bound = typeof got === "number" ? got : await got;
    }
    return this.slots[this.bound]!;
  }

  async iteration(rec: IterationRecord): Promise<void> {
    let slot: number;
    if (this.bound !== null && rec.executor.buffer === this.slots[this.bound]) {
      // computed in place: the worker reads the slot the trainer wrote
      slot = this.bound;
      this.bound = null;
    } else {
      const got = this.acquire();
      slot = typeof got === "number" ? got : await got;
      new Uint8Array(this.slots[slot]!).set(new Uint8Array(rec.executor.buffer, 0, this.slots[slot]!.byteLength));
    }
    this.inFlight++;
    const msg: IterationMessage = {
      type: "iteration",
      slot,
      step: rec.step,
      examples: Uint32Array.from(rec.examples),
      seeds: rec.seeds.map((s) => ({ x: s.x, pi: s.pi, y: s.y })),
      masks: rec.masks.map((m) => m.slice()),
      replayable: rec.replayable,
      sourcesOnly: rec.replayable && this.opts.replay !== false,
    };
    this.worker.postMessage(msg);
  }

  /** Waits for every posted iteration to be committed. */
  async drain(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.inFlight === 0) return;
    this.idle ??= deferred<void>();
    await this.idle.promise;
  }

  /** Drains, closes the last rollup, writes the manifest, and stops the worker. */
  async finish(): Promise<TraceManifest | null> {
    await this.drain();
    if (this.bound !== null) {
      this.free.push(this.bound);
      this.bound = null;
    }
    this.finished = deferred<TraceManifest | null>();
    this.worker.postMessage({ type: "finish" });
    const m = await this.finished.promise;
    await this.worker.terminate();
    this.commitments.sort((a, b) => a.step - b.step);
    return m;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

export interface WorkerDropoutSourceOptions {
  readonly job: Job;
  readonly scheme: "bls12-381" | "hash-insecure";
  readonly key: Uint8Array;
  /** BLS evaluator: "mcl-wasm" (default, ADR 0006) or the reference "noble" (for comparisons) */
  readonly evaluator?: "mcl-wasm" | "noble";
  /** run the worker at background priority (default true; thread-priority.ts) */
  readonly background?: boolean;
  /** steps requested ahead of the one training (default 4) */
  readonly lookahead?: number;
  /** steps per epoch of the schedule (batchId = step mod stepsPerEpoch) */
  readonly stepsPerEpoch: number;
}

type SeedsResult = { seeds: DropoutSeed[]; masks: Uint8Array[] };

export class WorkerDropoutSource implements DropoutSource {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Deferred<SeedsResult>>();
  private requestedUpTo = -1;
  private failure: Error | null = null;

  constructor(readonly opts: WorkerDropoutSourceOptions) {
    const wd: SeedWorkerData = { spec: opts.job.spec, nonce: opts.job.nonce, scheme: opts.scheme, key: opts.key, evaluator: opts.evaluator ?? "mcl-wasm", background: opts.background ?? true };
    this.worker = new Worker(new URL("./seed-worker.ts", import.meta.url), { workerData: wd, execArgv: tsWorkerExecArgv() });
    this.worker.on("message", (m: { type: "seeds"; step: number; seeds: DropoutSeed[]; masks: Uint8Array[] } | { type: "error"; step: number; message: string }) => {
      const p = this.pending.get(m.step);
      if (m.type === "seeds") p?.resolve({ seeds: m.seeds, masks: m.masks });
      else p?.reject(new WorkerError("seed", `step ${m.step}: ${m.message}`));
    });
    this.worker.on("error", (e) => {
      this.failure = new WorkerError("seed", e.message, e.stack);
      for (const p of this.pending.values()) p.reject(this.failure);
    });
  }

  private request(step: number): void {
    if (this.pending.has(step)) return;
    const d = deferred<SeedsResult>();
    d.promise.catch(() => undefined); // observed by get(); avoid unhandled rejections for prefetches
    this.pending.set(step, d);
    this.worker.postMessage({ type: "seeds", step, batchId: step % this.opts.stepsPerEpoch });
  }

  async get(step: number): Promise<SeedsResult> {
    if (this.failure) throw this.failure;
    const ahead = this.opts.lookahead ?? 4;
    for (let s = Math.max(step, this.requestedUpTo + 1); s <= step + ahead; s++) this.request(s);
    this.requestedUpTo = Math.max(this.requestedUpTo, step + ahead);
    this.request(step);
    const r = await this.pending.get(step)!.promise;
    this.pending.delete(step);
    return r;
  }

  /** Waits for every requested step (including the ones prefetched ahead) to be evaluated. */
  async drain(): Promise<void> {
    if (this.failure) throw this.failure;
    await Promise.allSettled([...this.pending.values()].map((d) => d.promise));
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
