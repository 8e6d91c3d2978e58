/**
 * The one-step cases the gas benchmarks measure on the MNIST MLP, so that the verifier-only figures
 * (bench-step-gas.ts, `verifier.step.<name>`) and the real game transactions (bench-game-step-gas.ts, `step.<name>`) are
 * taken at the same elements:
 *
 * - every node of the middle iteration at its middle element (dropout / dropout_bwd: the first dropped and the first
 *   kept element from the middle on) → `<op>`;
 * - dot products (linear, matmul_nt, row_sum): the element whose row openings span the most chunks → `<op>.k<K>` per
 *   inner dimension K, and, for every node but the 784-input layer (`fc1.z`, its own key), `<op>.worst` at that element
 *   and `<op>` at the middle element;
 * - every parameter of iteration 0 at element 0 (start-state link) → `param.start`;
 * - every update node of the last iteration at its middle element (end-state link) → `<op>.end`;
 * - every journal entry of the middle iteration → `journal`.
 *
 * A benchmark records, under each name, the largest figure over the cases that carry it.
 */
import { maskBit, vrfKeygen } from "@refereed/core";
import { BlsSeedProvider, CommitSink, TraceReader, Trainer, datasetRoot, loadMnist, makeJob, makeJobSpec, type Dataset, type GraphTemplate, type MlpConfig } from "@refereed/engine";
import type { ElementRef } from "../src/index.js";

/** The model, rollup and training set both benchmarks train (784-128-64-10, batch 64, momentum, dropout 1/5). */
export const BENCH_MODEL: MlpConfig = {
  sizes: [784, 128, 64, 10],
  batch: 64,
  dropout: [
    { num: 1, den: 5 },
    { num: 1, den: 5 },
  ],
  lr: 0.05,
  momentum: 0.9,
};
/** training steps, all in one rollup */
export const BENCH_STEPS = 3;
/** MNIST training examples */
export const BENCH_TRAIN = 2048;

/** The MNIST prefix, the trainer's BLS key and the job spec all gas benchmarks of the one-step use. */
export function benchJob(steps = BENCH_STEPS, train: Dataset = loadMnist(BENCH_TRAIN).train) {
  const key = vrfKeygen(new Uint8Array(32).fill(7));
  const spec = makeJobSpec({
    model: BENCH_MODEL,
    datasetRoot: datasetRoot(train),
    trainExamples: train.n,
    steps,
    initSeed: new Uint8Array(32).fill(1),
    vrfKey: key.pk,
    seedScheme: "bls12-381",
  });
  return { train, key, spec };
}

/** Trains the bench job (with a fixed nonce: no chain) into one rollup's trace at `dir`. */
export async function trainBenchTrace(b: ReturnType<typeof benchJob>, dir: string): Promise<TraceReader> {
  const job = makeJob(b.spec, new Uint8Array(32).fill(0x5a));
  const sink = new CommitSink({ job, traceDir: dir, rollupSize: BENCH_STEPS });
  const trainer = new Trainer({ job, data: b.train, seeds: new BlsSeedProvider(b.key.sk), sink });
  for (let s = 0; s < BENCH_STEPS; s++) await trainer.runStep();
  sink.finish();
  return TraceReader.open(dir);
}

/** The gas goals of the issue for `step.<name>`: 1.5M for the 784-input layer, 300k for dropout and the journal, 200k else. */
export const stepGoal = (name: string): number =>
  name === "linear.k784" ? 1_500_000 : name.startsWith("dropout") || name === "journal" ? 300_000 : 200_000;

/** One leaf to measure: an element of a node's output, or a journal entry, at an absolute training step. */
export type StepCase =
  | { readonly kind: "element"; readonly ref: ElementRef; readonly names: readonly string[]; readonly where: string }
  | { readonly kind: "journal"; readonly step: number; readonly index: number; readonly names: readonly string[]; readonly where: string };

const DOT_OPS: ReadonlySet<string> = new Set(["linear", "matmul_nt", "row_sum"]);
const CHUNK = 256;

/**
 * The cases of a rollup of `steps` iterations starting at `firstStep` (the trace must hold them all). Cases at the
 * same leaf are merged (their names joined), so each leaf is measured once.
 */
export function stepCases(reader: TraceReader, firstStep: number, steps: number): StepCase[] {
  const t: GraphTemplate = reader.template;
  const mid = firstStep + Math.floor(steps / 2);
  const last = firstStep + steps - 1;
  const numelOf = (id: number) => t.nodes[id]!.shape.reduce((x, y) => x * y, 1);
  const chunksOf = (start: number, len: number) => Math.floor((start + len - 1) / CHUNK) - Math.floor(start / CHUNK) + 1;
  /** The element of a dot-product node whose row openings span the most chunks. */
  function widestDotElement(id: number): number {
    const n = t.nodes[id]!;
    const k = t.nodes[n.inputs[0]!]!.shape[1]!;
    const rows = n.shape[0]!;
    const cols = n.shape[1] ?? 1;
    let best = 0;
    let bestChunks = -1;
    for (let m = 0; m < rows; m++) {
      for (let j = 0; j < cols; j++) {
        const c = chunksOf(m * k, k) + (n.op === "row_sum" ? 0 : chunksOf(j * k, k));
        if (c > bestChunks) [best, bestChunks] = [m * cols + j, c];
        if (n.op === "row_sum") break;
      }
    }
    return best;
  }
  /** A dropped and a kept element from the middle on (dropout nodes), else the middle element. */
  function middleElements(step: number, id: number): number[] {
    const n = t.nodes[id]!;
    const middle = Math.floor(numelOf(id) / 2);
    if (n.op !== "dropout" && n.op !== "dropout_bwd") return [middle];
    const d = t.dropout.find((x) => x.layer === n.attrs.layer)!;
    const y = reader.readIteration(step).journal[d.ordinal]!.y;
    const all = [...Array(numelOf(id)).keys()];
    return [all.find((e) => e >= middle && !maskBit(y, d, e))!, all.find((e) => e >= middle && maskBit(y, d, e))!];
  }

  const cases = new Map<string, { c: StepCase; names: string[]; where: string[] }>();
  const add = (key: string, c: StepCase, name: string, where: string) => {
    const hit = cases.get(key);
    if (!hit) cases.set(key, { c, names: [name], where: [where] });
    else if (!hit.names.includes(name)) hit.names.push(name);
    if (hit && !hit.where.includes(where)) hit.where.push(where);
  };
  const element = (ref: ElementRef, name: string, where: string) =>
    add(`e:${ref.step}:${ref.node}:${ref.element}`, { kind: "element", ref, names: [], where: "" }, name, where);

  const fc1 = t.nodes.find((n) => n.name === "fc1.z");
  for (const n of t.nodes) {
    if (DOT_OPS.has(n.op)) {
      const k = t.nodes[n.inputs[0]!]!.shape[1]!;
      const e = widestDotElement(n.id);
      element({ step: mid, node: n.id, element: e }, `${n.op}.k${k}`, `${n.name}[${e}] (widest)`);
      if (n.id === fc1?.id) continue; // the 784-input layer has its own key
      const middle = Math.floor(numelOf(n.id) / 2);
      element({ step: mid, node: n.id, element: middle }, n.op, `${n.name}[${middle}]`);
      element({ step: mid, node: n.id, element: e }, `${n.op}.worst`, `${n.name}[${e}] (widest)`);
      continue;
    }
    for (const e of middleElements(mid, n.id)) element({ step: mid, node: n.id, element: e }, n.op, `${n.name}[${e}]`);
  }
  for (const p of t.params) element({ step: firstStep, node: p.id, element: 0 }, "param.start", `${p.name}[0]`);
  for (const u of t.updateOf) {
    const n = t.nodes[u]!;
    const middle = Math.floor(numelOf(u) / 2);
    element({ step: last, node: u, element: middle }, `${n.op}.end`, `${n.name}[${middle}]`);
  }
  for (let k = 0; k < t.dropout.length; k++) add(`j:${mid}:${k}`, { kind: "journal", step: mid, index: k, names: [], where: "" }, "journal", `journal[${k}]`);

  return [...cases.values()].map(({ c, names, where }) => ({ ...c, names, where: where.join(", ") }));
}
