/**
 * Runs one iteration of a graph template: computes every node's output into buffers the executor owns and
 * keeps them until the next run (they are what the trainer commits). No allocation per iteration.
 *
 * The node buffers live in one ArrayBuffer (or SharedArrayBuffer, so a hashing worker can read them without a
 * copy), each node's tensor at a 16-byte aligned offset given by `layout`.
 */
import { dropoutScale } from "@refereed/core";
import { EngineError, ShapeError } from "./errors.js";
import type { GraphNode, GraphTemplate } from "./graph.js";
import { numel } from "./graph.js";
import {
  crossEntropyGrad,
  crossEntropyLoss,
  dropoutApply,
  matmulNT,
  momentumUpdate,
  relu,
  reluBackward,
  rowSum,
  sgdUpdate,
  softmax,
  transpose,
} from "./kernels.js";

export interface IterationInputs {
  /** the state, one tensor per template parameter (copied into the param nodes) */
  readonly params: readonly Float32Array[];
  /** the batch examples [B, D] */
  readonly x: Float32Array;
  /** the batch labels [B] (float32 integers) */
  readonly y: Float32Array;
  /** keep mask per dropout layer (journal ordinal order), 1 = keep */
  readonly masks: readonly Uint8Array[];
}

export interface BufferLayout {
  /** byte offset of node i's tensor */
  readonly offsets: readonly number[];
  /** element count of node i's tensor */
  readonly lengths: readonly number[];
  readonly byteLength: number;
}

export function bufferLayout(t: GraphTemplate): BufferLayout {
  const offsets: number[] = [];
  const lengths: number[] = [];
  let off = 0;
  for (const n of t.nodes) {
    const len = numel(n.shape);
    offsets.push(off);
    lengths.push(len);
    off += Math.ceil((len * 4) / 16) * 16;
  }
  return { offsets, lengths, byteLength: off };
}

/** Optional hook that changes one node's output after it is computed (used by the adversary library). */
export type NodeHook = (node: GraphNode, out: Float32Array, outputs: readonly Float32Array[]) => void;

export class Executor {
  readonly layout: BufferLayout;
  private buf: ArrayBuffer | SharedArrayBuffer;
  /** node outputs of the last run, by node id (views into `buffer`; `bind` swaps them) */
  readonly outputs: Float32Array[];
  private readonly scales: number[];
  private readonly viewsOf = new WeakMap<ArrayBuffer | SharedArrayBuffer, Float32Array[]>();

  constructor(
    readonly template: GraphTemplate,
    opts: { shared?: boolean; buffer?: ArrayBuffer | SharedArrayBuffer } = {},
  ) {
    this.layout = bufferLayout(template);
    this.buf = opts.buffer ?? (opts.shared ? new SharedArrayBuffer(this.layout.byteLength) : new ArrayBuffer(this.layout.byteLength));
    this.outputs = [...this.views(this.buf)];
    this.scales = template.dropout.map((d) => dropoutScale({ num: d.num, den: d.den }));
  }

  /** The buffer the node outputs live in. */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.buf;
  }

  /**
   * Makes the next runs write into `buffer` (laid out by `bufferLayout`): a commit sink hands out its shared slots
   * this way, so the outputs are hashed where they were computed instead of being copied there after every step.
   */
  bind(buffer: ArrayBuffer | SharedArrayBuffer): void {
    if (buffer === this.buf) return;
    const views = this.views(buffer);
    this.buf = buffer;
    for (let i = 0; i < views.length; i++) this.outputs[i] = views[i]!;
  }

  private views(buffer: ArrayBuffer | SharedArrayBuffer): Float32Array[] {
    let v = this.viewsOf.get(buffer);
    if (!v) {
      if (buffer.byteLength < this.layout.byteLength) {
        throw new EngineError(`executor buffer has ${buffer.byteLength} bytes, the template needs ${this.layout.byteLength}`);
      }
      v = this.template.nodes.map((_, i) => new Float32Array(buffer, this.layout.offsets[i]!, this.layout.lengths[i]!));
      this.viewsOf.set(buffer, v);
    }
    return v;
  }

  /** Computes every node in template order. `hook`, when given, runs after each node. */
  run(inp: IterationInputs, hook?: NodeHook): void {
    const t = this.template;
    const o = this.outputs;
    if (inp.params.length !== t.params.length) throw new ShapeError("iteration params (count)", t.params.length, inp.params.length);
    if (inp.masks.length !== t.dropout.length) throw new ShapeError("iteration masks (count)", t.dropout.length, inp.masks.length);
    for (const n of t.nodes) {
      const out = o[n.id]!;
      const ins = n.inputs;
      const s0 = n.shape[0]!;
      const s1 = n.shape[1] ?? 1;
      switch (n.op) {
        case "param": {
          const src = inp.params[n.attrs.param!]!;
          if (src.length !== out.length) throw new ShapeError(`param ${n.name}`, out.length, src.length);
          out.set(src);
          break;
        }
        case "data_x":
          if (inp.x.length !== out.length) throw new ShapeError("batch x", out.length, inp.x.length);
          out.set(inp.x);
          break;
        case "data_y":
          if (inp.y.length !== out.length) throw new ShapeError("batch y", out.length, inp.y.length);
          out.set(inp.y);
          break;
        case "linear":
        case "matmul_nt": {
          const a = t.nodes[ins[0]!]!;
          const K = a.shape[1]!;
          matmulNT(o[ins[0]!]!, s0, K, o[ins[1]!]!, s1, n.op === "linear" ? o[ins[2]!]! : null, out);
          break;
        }
        case "transpose":
          transpose(o[ins[0]!]!, s1, s0, out);
          break;
        case "row_sum": {
          const a = t.nodes[ins[0]!]!;
          rowSum(o[ins[0]!]!, a.shape[0]!, a.shape[1]!, out);
          break;
        }
        case "relu":
          relu(o[ins[0]!]!, out);
          break;
        case "relu_bwd":
          reluBackward(o[ins[0]!]!, o[ins[1]!]!, out);
          break;
        case "dropout":
        case "dropout_bwd": {
          const ord = t.dropout.findIndex((d) => d.layer === n.attrs.layer);
          dropoutApply(o[ins[0]!]!, inp.masks[ord]!, this.scales[ord]!, out);
          break;
        }
        case "softmax":
          softmax(o[ins[0]!]!, s0, s1, out);
          break;
        case "xent_loss": {
          const z = t.nodes[ins[0]!]!;
          crossEntropyLoss(o[ins[0]!]!, o[ins[1]!]!, z.shape[0]!, z.shape[1]!, out);
          break;
        }
        case "xent_grad":
          crossEntropyGrad(o[ins[0]!]!, o[ins[1]!]!, s0, s1, out);
          break;
        case "momentum":
          momentumUpdate(o[ins[0]!]!, o[ins[1]!]!, n.attrs.mu!, out);
          break;
        case "sgd":
          sgdUpdate(o[ins[0]!]!, o[ins[1]!]!, n.attrs.lr!, out);
          break;
        default: {
          const never: never = n.op;
          throw new EngineError(`node ${n.id}: no kernel for op ${String(never)}`);
        }
      }
      if (hook) hook(n, out, o);
    }
  }

  /** The next state: the outputs of the update nodes (views into this executor's buffers). */
  nextState(): Float32Array[] {
    return this.template.updateOf.map((u) => this.outputs[u]!);
  }

  /** Mean of the per-example loss of the last run (binary64, for reporting). */
  meanLoss(): number {
    const l = this.outputs[this.template.lossNode]!;
    let s = 0;
    for (let i = 0; i < l.length; i++) s += l[i]!;
    return s / l.length;
  }
}

/**
 * Inference (no dropout, no trace): logits of `n` examples of `x` [n, D] under `state`, in chunks of `chunk`
 * rows; returns the number of correct argmax predictions against `labels`.
 */
export function countCorrect(t: GraphTemplate, state: readonly Float32Array[], x: Float32Array, labels: ArrayLike<number>, n: number): number {
  const L = t.sizes.length - 1;
  const chunk = 250;
  const bufs = t.sizes.map((s) => new Float32Array(chunk * s));
  let correct = 0;
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    let h = x.subarray(start * t.inputDim, (start + rows) * t.inputDim);
    for (let l = 0; l < L; l++) {
      const w = state[2 * l]!;
      const b = state[2 * l + 1]!;
      const out = bufs[l + 1]!.subarray(0, rows * t.sizes[l + 1]!);
      matmulNT(h, rows, t.sizes[l]!, w, t.sizes[l + 1]!, b, out);
      if (l < L - 1) relu(out, out);
      h = out;
    }
    const C = t.classes;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (h[r * C + c]! > h[r * C + best]!) best = c;
      if (best === labels[start + r]) correct++;
    }
  }
  return correct;
}
