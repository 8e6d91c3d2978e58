import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "@refereed/core";
import { CommitSink, HashSeedProvider, TraceReader, Trainer, WorkerCommitSink, WorkerDropoutSource, datasetRoot, type Dataset } from "../src/index.js";
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
