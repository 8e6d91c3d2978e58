import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex, vrfKeygen } from "@refereed/core";
import { BlsSeedProvider, CommitSink, HashSeedProvider, makeJob, makeJobSpec, TraceReader, Trainer, WorkerCommitSink, WorkerDropoutSource, datasetRoot, type Dataset } from "../src/index.js";
import { DEFAULT_MODEL, testJob, testValues } from "./helpers.js";

const MODEL = { ...DEFAULT_MODEL, sizes: [784, 32, 16, 10], batch: 16 };
const data: Dataset = { n: 128, dim: 784, classes: 10, pixels: testValues(128 * 784, 77).map((v) => Math.abs(v)), labels: Float32Array.from({ length: 128 }, (_, i) => (i * 7) % 10) };

test("the worker pipeline (seeds from a worker, commitments and trace in another) gives the same roots as the in-process sink", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-pipe-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const job = testJob(MODEL, { trainExamples: 128, datasetRoot: datasetRoot(data) });
  const key = new Uint8Array(32).fill(4);
  const local = new CommitSink({ job });
  const a = new Trainer({ job, data, seeds: new HashSeedProvider(key), sink: local });
  for (let s = 0; s < 7; s++) await a.runStep();

  const sink = new WorkerCommitSink({ job, traceDir: dir, rollupSize: 3 });
  const source = new WorkerDropoutSource({ job, scheme: "hash-insecure", key, stepsPerEpoch: 8 });
  const b = new Trainer({ job, data, seeds: new HashSeedProvider(key), sink, dropoutSource: source });
  for (let s = 0; s < 7; s++) await b.runStep();
  const manifest = await sink.finish();
  await source.close();
  assert.equal(sink.commitments.length, 7);
  sink.commitments.forEach((c, i) => assert.equal(toHex(c.leaf), toHex(local.commitments[i]!.leaf), `step ${i}`));
  assert.equal(manifest!.rollups.length, 3);
  TraceReader.open(dir).verifyAll();
});

test("the trainer computes in the commit sink's slots (no copy), with the same roots as the copying sink and the in-process one", async () => {
  const job = testJob(MODEL, { trainExamples: 128, datasetRoot: datasetRoot(data) });
  const key = new Uint8Array(32).fill(8);
  const local = new CommitSink({ job });
  const a = new Trainer({ job, data, seeds: new HashSeedProvider(key), sink: local });
  const inPlace = new WorkerCommitSink({ job, slots: 2 });
  const b = new Trainer({ job, data, seeds: new HashSeedProvider(key), sink: inPlace });
  const copying = new WorkerCommitSink({ job, zeroCopy: false });
  const c = new Trainer({ job, data, seeds: new HashSeedProvider(key), sink: copying });
  assert.equal(copying.buffer, undefined, "zeroCopy: false hands out no slot");
  const used = new Set<ArrayBufferLike>();
  for (let s = 0; s < 9; s++) {
    await a.runStep();
    await b.runStep();
    used.add(b.executor.buffer);
    await c.runStep();
  }
  assert.ok([...used].every((u) => u instanceof SharedArrayBuffer), "the in-place trainer computed in the sink's shared slots");
  assert.equal(used.size, 2, "and rotated through both");
  await Promise.all([inPlace.finish(), copying.finish()]);
  for (const sink of [inPlace, copying]) {
    assert.equal(sink.commitments.length, 9);
    sink.commitments.forEach((x, i) => assert.equal(toHex(x.leaf), toHex(local.commitments[i]!.leaf), `step ${i}`));
  }
  // the state moves on from the slot's update nodes: both trainers end where the in-process one does
  b.state.forEach((p, i) => assert.deepEqual(p, a.state[i], `param ${i}`));
  assert.throws(() => new WorkerCommitSink({ job, slots: 1 }), /at least 2 slots/);
});

test("with BLS seeds: the seed worker (mcl-wasm) gives the same journal and roots as the reference evaluator in-process", async () => {
  const k = vrfKeygen(new Uint8Array(32).fill(6));
  const spec = makeJobSpec({ model: MODEL, datasetRoot: datasetRoot(data), trainExamples: 128, steps: 20, initSeed: new Uint8Array(32).fill(1), vrfKey: k.pk, seedScheme: "bls12-381" });
  const job = makeJob(spec, new Uint8Array(32).fill(3));
  const local = new CommitSink({ job });
  const a = new Trainer({ job, data, seeds: new BlsSeedProvider(k.sk), sink: local });
  for (let s = 0; s < 3; s++) await a.runStep();
  const sink = new CommitSink({ job });
  const source = new WorkerDropoutSource({ job, scheme: "bls12-381", key: k.sk, stepsPerEpoch: 8 });
  const b = new Trainer({ job, data, seeds: new BlsSeedProvider(k.sk), sink, dropoutSource: source });
  for (let s = 0; s < 3; s++) await b.runStep();
  await source.close();
  sink.commitments.forEach((c, i) => {
    assert.equal(toHex(c.journalRoot), toHex(local.commitments[i]!.journalRoot), `journal of step ${i}`);
    assert.equal(toHex(c.leaf), toHex(local.commitments[i]!.leaf), `step ${i}`);
  });
  assert.equal(sink.commitments.length, 3);
});
