/**
 * auditInWorker: the same AuditResult as `audit()` (honest and cheating traces, all steps and a subset), errors
 * in the worker reject with a clear message, an abort terminates the worker, and the caller's event loop keeps
 * running while the worker audits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  WorkerError,
  audit,
  auditInWorker,
  sharedDataset,
  traceSource,
  type AdversaryKind,
  type Dataset,
} from "../src/index.js";
import { AUDIT_DATA, AUDIT_STEPS, auditTrace } from "./helpers.js";

const data = AUDIT_DATA;
const STEPS = AUDIT_STEPS;
const traceWith = async (kind: AdversaryKind | "honest", dir: string) => (await auditTrace(kind, dir)).reader;

function tempDir(t: { after(fn: () => void): void }, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `refereed-auditw-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const kind of ["honest", "wrong-update", "seed-tamper", "batch-substitution"] as const) {
  test(`the worker's audit equals audit(): ${kind}`, async (t) => {
    const dir = tempDir(t, kind);
    const reader = await traceWith(kind, dir);
    const expected = audit(traceSource(reader), { data });
    assert.equal(expected.ok, kind === "honest", `audit() on ${kind}: ${JSON.stringify(expected)}`);
    const got = await auditInWorker({ traceDir: dir, data });
    assert.deepStrictEqual(got, expected);
    // a subset of the steps, roots not re-verified, dataset already checked (the challenger's call)
    const steps = [1, 2, 4];
    const sub = audit({ job: reader.job, firstStep: 0, count: STEPS, iteration: (s) => reader.readIteration(s) }, { data, steps, datasetChecked: true });
    assert.deepStrictEqual(await auditInWorker({ traceDir: dir, firstStep: 0, count: STEPS, steps, data, datasetChecked: true, verifyRoots: false }), sub);
  });
}

test("the dataset is copied into shared memory once per dataset object", () => {
  const s = sharedDataset(data);
  assert.ok(s.pixels.buffer instanceof SharedArrayBuffer && s.labels.buffer instanceof SharedArrayBuffer);
  assert.deepStrictEqual([...s.labels], [...data.labels]);
  assert.equal(sharedDataset(data), s);
  assert.equal(sharedDataset(s).pixels, s.pixels, "already shared arrays are not copied again");
});

test("errors inside the worker reject with the audit's error, not a hang", async (t) => {
  const missing = join(tmpdir(), "refereed-auditw-does-not-exist");
  await assert.rejects(auditInWorker({ traceDir: missing, data }), (err: unknown) => {
    assert.ok(err instanceof WorkerError, String(err));
    assert.match(err.message, /^audit worker: TraceFormatError: .*manifest\.json.*missing \(not a trace directory\?\)/);
    return true;
  });
  const dir = tempDir(t, "errors");
  await traceWith("honest", dir);
  await assert.rejects(auditInWorker({ traceDir: dir, steps: [STEPS + 3], data }), /^WorkerError: audit worker: AuditError: audit: step 8 is not in the source \(0\.\.4\)$/);
  const wrong: Dataset = { ...data, labels: data.labels.map((v) => (v + 1) % 10) };
  await assert.rejects(auditInWorker({ traceDir: dir, data: wrong }), /AuditError: audit: the dataset does not hash to the job's dataset root/);
});

test("the worker also starts where tsx is registered in code (the refereed binary), not by a loader flag", async (t) => {
  const script = [
    `import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))};`,
    "register();",
    `const { auditInWorker } = await import(${JSON.stringify(new URL("../src/index.ts", import.meta.url).href)});`,
    "const data = { n: 1, dim: 1, classes: 1, pixels: new Float32Array(1), labels: new Float32Array(1) };",
    `await auditInWorker({ traceDir: ${JSON.stringify(join(tmpdir(), "refereed-auditw-does-not-exist"))}, data }).catch((e) => console.log(e.message));`,
  ].join("\n");
  const file = join(tempDir(t, "register"), "main.mjs");
  writeFileSync(file, script);
  const { stdout } = await promisify(execFile)(process.execPath, [file], { env: { ...process.env, NODE_OPTIONS: "" } });
  // the audit ran (and found no trace), rather than the worker failing to load its TypeScript
  assert.match(stdout, /^audit worker: TraceFormatError: .*missing \(not a trace directory\?\)/);
});

test("an abort terminates the worker and rejects with the signal's reason", async (t) => {
  const dir = tempDir(t, "abort");
  await traceWith("honest", dir);
  const ac = new AbortController();
  const p = auditInWorker({ traceDir: dir, steps: Array.from({ length: 200 }, (_, i) => i % STEPS), data, signal: ac.signal });
  setTimeout(() => ac.abort(new Error("stopping")), 20);
  await assert.rejects(p, /^Error: stopping$/);
  await assert.rejects(auditInWorker({ traceDir: dir, data, signal: ac.signal }), /^Error: stopping$/);
});

test("the caller's event loop keeps running while the worker audits", async (t) => {
  const dir = tempDir(t, "loop");
  const reader = await traceWith("honest", dir);
  // a long audit from a short trace: the same five steps over and over (each revisit re-reads its PARAM link)
  let steps: number[] = [];
  let syncMs = 0;
  for (let rounds = 8; syncMs < 500 && rounds <= 8 * 64; rounds *= 2) {
    steps = Array.from({ length: rounds * STEPS }, (_, i) => i % STEPS);
    const t0 = performance.now();
    assert.ok(audit(traceSource(reader), { data, steps }).ok);
    syncMs = performance.now() - t0;
  }
  // timed again, warm: what the worker's audit would block the loop for if it ran inline
  const t1 = performance.now();
  audit(traceSource(reader), { data, steps });
  syncMs = performance.now() - t1;
  assert.ok(syncMs >= 300, `the synchronous audit takes only ${syncMs.toFixed(0)} ms`);

  let ticks = 0;
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 5);
  try {
    const t0 = performance.now();
    const r = await auditInWorker({ traceDir: dir, steps, data });
    const workerMs = performance.now() - t0;
    maxGap = Math.max(maxGap, performance.now() - last);
    assert.ok(r.ok && r.iterations === steps.length);
    // done inline, the audit would block the loop for about syncMs: no tick could come in that time
    assert.ok(maxGap < syncMs / 2, `the loop stalled ${maxGap.toFixed(0)} ms (synchronous audit: ${syncMs.toFixed(0)} ms)`);
    assert.ok(ticks >= 20, `${ticks} ticks in ${workerMs.toFixed(0)} ms`);
  } finally {
    clearInterval(timer);
  }
});
