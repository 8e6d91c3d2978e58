/**
 * Cheating trainers, for the tests and the demo. Each one is the honest engine with one change, made the way
 * a real cheater would: every value after the cheat is computed honestly from the cheated value, and the
 * commitments (roots, journal) are computed over what was actually used, so the trace is consistent
 * everywhere except at the cheat. The audit must find each of them; the honest-but-different run (another
 * summation order, within tolerance) must never be judged a cheat.
 */
import type { GraphNode, GraphTemplate } from "./graph.js";
import type { Job } from "./job.js";
import type { StepHook, TrainerOptions } from "./trainer.js";
import { fastKeepMask } from "./vdo.js";
import { sha256 } from "@refereed/core";
import { EngineError } from "./errors.js";

export type AdversaryKind =
  | "seed-tamper"
  | "p-tamper"
  | "activation-tamper"
  | "dropout-attack"
  | "skipped-operator"
  | "wrong-update"
  | "batch-substitution"
  | "nan-injection"
  | "honest-different";

export const ADVERSARIES: readonly AdversaryKind[] = [
  "seed-tamper",
  "p-tamper",
  "activation-tamper",
  "dropout-attack",
  "skipped-operator",
  "wrong-update",
  "batch-substitution",
  "nan-injection",
  "honest-different",
];

/** Where each cheat lands (the node the audit should name), for tests and the demo. */
export interface Adversary {
  readonly kind: AdversaryKind;
  /** the step the cheat starts at */
  readonly step: number;
  /** name of the node where the first bad value is (null for honest-different) */
  readonly expectedNode: string | null;
  /** what the adversary changes in the trainer */
  readonly options: Pick<TrainerOptions, "hook" | "maskOverride" | "batchOverride">;
  readonly description: string;
}

function nodeByName(t: GraphTemplate, name: string): GraphNode {
  const n = t.nodes.find((x) => x.name === name);
  if (!n) throw new EngineError(`adversary: the template has no node "${name}"`);
  return n;
}

/** Float32 dot product summed in reverse order with every product and partial sum rounded to float32. */
function reverseF32Dot(a: Float32Array, a0: number, b: Float32Array | null, b0: number, K: number, bias: number | null): number {
  let s = bias === null ? 0 : bias;
  for (let k = K - 1; k >= 0; k--) s = Math.fround(s + Math.fround(a[a0 + k]! * (b ? b[b0 + k]! : 1)));
  return s;
}

const honestDifferentHook =
  (t: GraphTemplate): StepHook =>
  (n, out, o) => {
    if (n.op === "linear" || n.op === "matmul_nt") {
      const a = o[n.inputs[0]!]!;
      const b = o[n.inputs[1]!]!;
      const bias = n.op === "linear" ? o[n.inputs[2]!]! : null;
      const K = t.nodes[n.inputs[0]!]!.shape[1]!;
      const M = n.shape[0]!;
      const N = n.shape[1]!;
      for (let m = 0; m < M; m++) for (let j = 0; j < N; j++) out[m * N + j] = reverseF32Dot(a, m * K, b, j * K, K, bias ? bias[j]! : null);
    } else if (n.op === "row_sum") {
      const a = o[n.inputs[0]!]!;
      const K = t.nodes[n.inputs[0]!]!.shape[1]!;
      for (let r = 0; r < out.length; r++) out[r] = reverseF32Dot(a, r * K, null, 0, K, null);
    } else if (n.op === "sgd") {
      const w = o[n.inputs[0]!]!;
      const g = o[n.inputs[1]!]!;
      const lr = n.attrs.lr!;
      for (let i = 0; i < out.length; i++) out[i] = Math.fround(w[i]! - Math.fround(lr * g[i]!));
    } else if (n.op === "momentum") {
      const v = o[n.inputs[0]!]!;
      const g = o[n.inputs[1]!]!;
      const mu = n.attrs.mu!;
      for (let i = 0; i < out.length; i++) out[i] = Math.fround(Math.fround(mu * v[i]!) + g[i]!);
    }
  };

/** Builds an adversary acting at `step` (the dropout attack acts at every step from `step` on). */
export function makeAdversary(kind: AdversaryKind, job: Job, step: number): Adversary {
  const t = job.template;
  const d0 = t.dropout[0];
  if (!d0 && kind !== "honest-different" && kind !== "wrong-update" && kind !== "batch-substitution" && kind !== "nan-injection" && kind !== "skipped-operator") {
    throw new EngineError(`adversary ${kind} needs a dropout layer`);
  }
  switch (kind) {
    case "seed-tamper": {
      // the mask of layer 1 comes from another seed than the journal's VRF output
      const other = sha256(new TextEncoder().encode(`another seed for step ${step}`));
      return {
        kind,
        step,
        expectedNode: t.nodes[d0!.node]!.name,
        description: "dropout mask of layer 1 drawn from a seed of the trainer's choosing, not the VRF output",
        options: { maskOverride: (s, k, honest) => (s === step && k === 0 ? fastKeepMask(other, d0!, honest.length) : honest) },
      };
    }
    case "p-tamper": {
      // layer 1 uses p' = p/2 (fewer drops) with the matching scale, forward and backward
      const fake = { num: d0!.num, den: 2 * d0!.den };
      const scale = fake.den / (fake.den - fake.num);
      return {
        kind,
        step,
        expectedNode: t.nodes[d0!.node]!.name,
        description: `dropout layer 1 applied with p = ${fake.num}/${fake.den} instead of the declared ${d0!.num}/${d0!.den}`,
        options: {
          hook: (n, out, o, ctx) => {
            if (ctx.step !== step || n.attrs.layer !== d0!.layer || (n.op !== "dropout" && n.op !== "dropout_bwd")) return;
            const x = o[n.inputs[0]!]!;
            const mask = fastKeepMask(ctx.seeds[0]!.y, fake, x.length);
            for (let i = 0; i < out.length; i++) out[i] = mask[i] ? x[i]! * scale : 0;
          },
        },
      };
    }
    case "activation-tamper": {
      // the committed dropout output is honest, but the next layer reads one activation scaled by 1.5
      const node = t.nodes[d0!.node]!;
      const next = t.nodes.find((n) => n.op === "linear" && n.inputs[0] === node.id)!;
      let saved: { e: number; v: number } | null = null;
      return {
        kind,
        step,
        expectedNode: next.name,
        description: `one activation of ${node.name} scaled by 1.5 when ${next.name} reads it (the committed dropout output is honest)`,
        options: {
          hook: (n, out, o, ctx) => {
            if (ctx.step !== step) return;
            if (n.id === node.id) {
              const e = out.findIndex((v) => v > 0.05);
              saved = { e, v: out[e]! };
              out[e] = out[e]! * 1.5;
            } else if (n.id === next.id && saved) {
              o[node.id]![saved.e] = saved.v;
              saved = null;
            }
          },
        },
      };
    }
    case "dropout-attack": {
      // drop the same neurons (columns) of layer 1 in every row and every step, with the declared drop rate
      const n = t.nodes[d0!.node]!;
      const width = n.shape[1]!;
      const dropCols = Math.max(1, Math.round((width * d0!.num) / d0!.den));
      return {
        kind,
        step,
        expectedNode: n.name,
        description: `always drops neurons 0..${dropCols - 1} of layer 1 instead of the VRF mask`,
        options: {
          maskOverride: (s, k, honest) => (s >= step && k === 0 ? Uint8Array.from(honest, (_, i) => (i % width < dropCols ? 0 : 1)) : honest),
        },
      };
    }
    case "skipped-operator": {
      const relu = nodeByName(t, "fc2.relu");
      return {
        kind,
        step,
        expectedNode: relu.name,
        description: "the ReLU of layer 2 is skipped (its input copied through)",
        options: {
          hook: (n, out, o, ctx) => {
            if (n.id === relu.id && ctx.step === step) out.set(o[n.inputs[0]!]!);
          },
        },
      };
    }
    case "wrong-update": {
      const upd = t.nodes[t.updateOf[0]!]!; // parameter 0 = fc1.w
      return {
        kind,
        step,
        expectedNode: upd.name,
        description: "the update of fc1.w uses twice the learning rate",
        options: {
          hook: (n, out, o, ctx) => {
            if (n.id !== upd.id || ctx.step !== step) return;
            const w = o[n.inputs[0]!]!;
            const g = o[n.inputs[1]!]!;
            for (let i = 0; i < out.length; i++) out[i] = w[i]! - 2 * n.attrs.lr! * g[i]!;
          },
        },
      };
    }
    case "batch-substitution":
      return {
        kind,
        step,
        expectedNode: "x",
        description: "the batch holds other examples than the schedule names",
        options: { batchOverride: (s, honest) => (s === step ? honest.map((e) => (e + 1) % job.spec.trainExamples) : honest) },
      };
    case "nan-injection": {
      const loss = t.nodes[t.lossNode]!;
      return {
        kind,
        step,
        expectedNode: loss.name,
        description: "a NaN written into the committed loss",
        options: {
          hook: (n, out, _o, ctx) => {
            if (n.id === loss.id && ctx.step === step) out[out.length >> 1] = NaN;
          },
        },
      };
    }
    case "honest-different":
      return {
        kind,
        step,
        expectedNode: null,
        description: "honest, but every dot product summed in reverse order in float32 (other bits, within tolerance)",
        options: { hook: honestDifferentHook(t) },
      };
  }
}

