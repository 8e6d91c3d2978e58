/**
 * Determinism and real training on MNIST.
 * The accuracy test runs the full 3 epochs (375 steps of batch 64 on 8,000 digits, ~10 s here).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256, toHex } from "@refereed/core";
import { HashSeedProvider, Trainer, loadMnist, type Dataset } from "../src/index.js";
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

test("MNIST MLP 784-128-64-10 (dropout 1/10, SGD lr 0.05 momentum 0.9, batch 64) reaches >= 92% test accuracy within 3 epochs", async () => {
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
