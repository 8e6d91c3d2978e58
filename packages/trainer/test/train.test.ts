/**
 * trainRollup: a rollup long enough for the worker pipeline (WORKER_SINK_MIN_STEPS) commits the same roots as the
 * in-thread sink, and a stopped rollup leaves no directory behind (its worker is stopped first). rollupTraceStatus
 * says why a trace on disk cannot be used.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "@refereed/core";
import { CommitSink, HashSeedProvider, Trainer, datasetRoot, loadMnist, makeJob, makeJobSpec } from "@refereed/engine";
import { TrainingError, WORKER_SINK_MIN_STEPS, rollupTraceName, rollupTraceStatus, trainRollup } from "../src/train.js";
import { MODEL } from "./fixtures.js";

const { train } = loadMnist(512);
const key = new Uint8Array(32).fill(0x42);
const spec = makeJobSpec({
  model: MODEL,
  datasetRoot: datasetRoot(train),
  trainExamples: train.n,
  steps: 100,
  initSeed: new Uint8Array(32).fill(1),
  vrfKey: key,
  seedScheme: "hash-insecure",
});
const job = makeJob(spec, new Uint8Array(32).fill(9));

describe("trainRollup", () => {
  it(`a rollup of ${WORKER_SINK_MIN_STEPS} steps (the worker pipeline) commits the roots of the in-thread sink`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), "refereed-train-"));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const count = WORKER_SINK_MIN_STEPS;
    const manifest = await trainRollup({ job, data: train, sk: key, traceRoot: root, jobId: 3n, index: 0, firstStep: 0, count });
    assert.deepEqual(readdirSync(root), [rollupTraceName(3n, 0)], "only the finished rollup's directory");
    const local = new CommitSink({ job });
    const tr = new Trainer({ job, data: train, seeds: new HashSeedProvider(key), sink: local });
    for (let s = 0; s < count; s++) await tr.runStep();
    assert.equal(manifest.iterations.length, count);
    manifest.iterations.forEach((it, s) => assert.equal(it.leaf, toHex(local.commitments[s]!.leaf), `step ${s}`));
  });

  it("a stopped rollup throws, and leaves neither its partial nor its final directory", async (t) => {
    const root = mkdtempSync(join(tmpdir(), "refereed-train-"));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    let steps = 0;
    await assert.rejects(
      trainRollup({
        job,
        data: train,
        sk: key,
        traceRoot: root,
        jobId: 3n,
        index: 1,
        firstStep: 0,
        count: WORKER_SINK_MIN_STEPS + 8,
        onStep: () => steps++,
        stopped: () => steps >= 5,
      }),
      (e: unknown) => e instanceof TrainingError && /stopped at step 5/.test(e.message),
    );
    assert.deepEqual(readdirSync(root), [], "no directory left");
    assert.equal(existsSync(join(root, rollupTraceName(3n, 1))), false);
  });

  it("rollupTraceStatus accepts a finished rollup and names what is wrong with one that is not", async (t) => {
    const root = mkdtempSync(join(tmpdir(), "refereed-train-"));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const dir = join(root, rollupTraceName(3n, 0));
    assert.deepEqual(rollupTraceStatus(dir, 0, 4), { complete: false, absent: true, reason: `no manifest in ${dir}` });
    await trainRollup({ job, data: train, sk: key, traceRoot: root, jobId: 3n, index: 0, firstStep: 0, count: 4 });
    assert.deepEqual(rollupTraceStatus(dir, 0, 4), { complete: true });
    const not = (firstStep: number, count: number) => {
      const s = rollupTraceStatus(dir, firstStep, count);
      assert.equal(s.complete, false);
      return s.complete ? "" : (assert.equal(s.absent, false), s.reason);
    };
    assert.equal(not(4, 4), "it holds steps [0, 4), expected [4, 8)");
    assert.equal(not(0, 5), "it holds steps [0, 4), expected [0, 5)");
    const manifest = join(dir, "manifest.json");
    const text = readFileSync(manifest, "utf8");
    const m = JSON.parse(text) as { iterations: { step: number; file: string }[] };
    rmSync(join(dir, m.iterations[2]!.file));
    assert.equal(not(0, 4), `the file of step 2 (${m.iterations[2]!.file}) is missing`);
    writeFileSync(manifest, text.slice(0, 40));
    assert.match(not(0, 4), /^unreadable: /);
  });
});
