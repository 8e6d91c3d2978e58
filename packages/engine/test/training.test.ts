/**
 * Determinism and real training on MNIST.
 * The accuracy test runs the full 3 epochs (375 steps of batch 64 on 8,000 digits, ~10 s here).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { keepMask, sha256, toHex } from "@refereed/core";
import { Executor, HashSeedProvider, Trainer, loadMnist, mlpTemplate, numel, type Dataset } from "../src/index.js";
import { DEFAULT_MODEL, testJob, testValues } from "./helpers.js";

function synthetic(n: number, dim: number, classes: number): Dataset {
  return {
    n,
    dim,
    classes,
    pixels: testValues(n * dim, 77).map((v) => Math.abs(v)),
    labels: Float32Array.from({ length: n }, (_, i) => (i * 7) % classes),
  };
}

/** Digest of every node output of every step, and of the final state. */
async function runDigests(steps: number): Promise<string[]> {
  const model = { ...DEFAULT_MODEL, sizes: [784, 32, 16, 10] };
  const job = testJob(model, { trainExamples: 256 });
  const tr = new Trainer({ job, data: synthetic(256, 784, 10), seeds: new HashSeedProvider(new Uint8Array(32).fill(5)) });
  const out: string[] = [];
  for (let s = 0; s < steps; s++) {
    await tr.runStep();
    out.push(toHex(sha256(new Uint8Array(tr.executor.buffer as ArrayBuffer))));
  }
  return out;
}

test("two runs of the same job produce the same bits in every node of every step", async () => {
  const a = await runDigests(6);
  const b = await runDigests(6);
  assert.deepEqual(a, b);
  assert.equal(new Set(a).size, 6, "each step's outputs differ from the others");
});

test("cross-machine determinism: one iteration of the MNIST MLP on fixed inputs hashes to a pinned digest", () => {
  // Pinned regression value: recorded with Node 22.23.3 (V8 12.4) and reproduced with Node 20.20.2 (V8 11.3),
  // both x86-64. It depends only on the kernels, the template and the SPEC §5 PRG; a different digest on another
  // machine or engine means the engine is not bit-reproducible there (or a kernel's evaluation order changed).
  // Re-pinned on 2026-11-30: the template's node order (matmul_nt operands at sibling ids) moved the buffer layout,
  // and the default recipe's lr/momentum (0.1/0.8) changed the update nodes.
  const t = mlpTemplate(DEFAULT_MODEL);
  const ex = new Executor(t);
  const params = t.params.map((p, i) => testValues(numel(p.shape), 1000 + i, 0.1));
  const x = testValues(64 * 784, 5).map(Math.abs);
  const y = Float32Array.from({ length: 64 }, (_, i) => i % 10);
  const masks = t.dropout.map((d, i) => keepMask(new Uint8Array(32).fill(i + 1), d, numel(t.nodes[d.node]!.shape)));
  ex.run({ params, x, y, masks });
  assert.equal(toHex(sha256(new Uint8Array(ex.buffer as ArrayBuffer))), "0x79b944299a81dfc588916a72fbcd1693f4ceaae2af72e10399a9ec110d1a4df7");
});

test("a different nonce gives other batches and masks, hence other bits", async () => {
  const model = { ...DEFAULT_MODEL, sizes: [784, 32, 16, 10] };
  const data = synthetic(256, 784, 10);
  const digest = async (nonceByte: number) => {
    const tr = new Trainer({ job: testJob(model, { trainExamples: 256, nonceByte }), data, seeds: new HashSeedProvider(new Uint8Array(32)) });
    await tr.runStep();
    return toHex(sha256(new Uint8Array(tr.executor.buffer as ArrayBuffer)));
  };
  assert.notEqual(await digest(1), await digest(2));
});

test("MNIST MLP 784-128-64-10 (dropout 1/10, SGD lr 0.1 momentum 0.8, batch 64) reaches >= 92% test accuracy within 3 epochs", async () => {
  const { train, test: held } = loadMnist();
  assert.equal(train.n, 8000);
  assert.equal(held.n, 2000);
  const tr = new Trainer({ job: testJob(DEFAULT_MODEL, { trainExamples: 8000 }), data: train, seeds: new HashSeedProvider(new Uint8Array(32)) });
  const curve: { epoch: number; loss: number; accuracy: number }[] = [{ epoch: 0, loss: NaN, accuracy: tr.accuracy(held) }];
  for (let epoch = 1; epoch <= 3; epoch++) {
    let loss = 0;
    for (let s = 0; s < tr.schedule.stepsPerEpoch; s++) loss += await tr.runStep();
    curve.push({ epoch, loss: loss / tr.schedule.stepsPerEpoch, accuracy: tr.accuracy(held) });
  }
  console.log("accuracy curve", JSON.stringify(curve));
  assert.ok(curve[0]!.accuracy < 0.3, "the untrained model is near chance");
  assert.ok(curve[1]!.loss > curve[3]!.loss, "the loss decreases");
  assert.ok(curve[3]!.accuracy >= 0.92, `test accuracy after 3 epochs: ${curve[3]!.accuracy}`);
});
