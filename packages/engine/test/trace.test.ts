import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fromBits, toHex, verifyProof, Kind, encodeJournalEntry, vrfContext, sha256 } from "@refereed/core";
import {
  CommitSink,
  HashSeedProvider,
  IterationCommitter,
  TraceFormatError,
  READABLE_MANIFEST_FORMATS,
  TraceReader,
  TraceWriter,
  Trainer,
  datasetRoot,
  isSourceNode,
  iterationFileName,
  numel,
  storedNodes,
  verifyElementProof,
  type Dataset,
} from "../src/index.js";
import { DEFAULT_MODEL, auditTrace, testJob, testValues } from "./helpers.js";

const MODEL = { ...DEFAULT_MODEL, sizes: [784, 32, 16, 10], batch: 16 };

function synthetic(n: number): Dataset {
  return { n, dim: 784, classes: 10, pixels: testValues(n * 784, 77).map((v) => Math.abs(v)), labels: Float32Array.from({ length: n }, (_, i) => (i * 7) % 10) };
}

async function run(steps: number, traceDir?: string, rollupSize = 4, replay = true) {
  const data = synthetic(128);
  const job = testJob(MODEL, { trainExamples: 128, datasetRoot: datasetRoot(data) });
  const sink = new CommitSink({ job, traceDir, rollupSize, replay });
  const tr = new Trainer({ job, data, seeds: new HashSeedProvider(new Uint8Array(32).fill(4)), sink });
  for (let s = 0; s < steps; s++) await tr.runStep();
  return { job, sink, manifest: sink.finish(), tr };
}

test("two runs of the same job produce identical node roots, graph roots, journal roots and iteration leaves", async () => {
  const a = await run(5);
  const b = await run(5);
  assert.equal(a.sink.commitments.length, 5);
  for (let i = 0; i < 5; i++) {
    const [x, y] = [a.sink.commitments[i]!, b.sink.commitments[i]!];
    assert.deepEqual(x.nodeRoots.map(toHex), y.nodeRoots.map(toHex));
    assert.equal(toHex(x.leaf), toHex(y.leaf));
  }
  // the param node of step i+1 is the update node of step i, and the journal entries carry the seed scheme's x
  const t = a.job.template;
  const [c0, c1] = [a.sink.commitments[0]!, a.sink.commitments[1]!];
  t.params.forEach((p) => assert.equal(toHex(c1.nodeRoots[p.id]!), toHex(c0.nodeRoots[t.updateOf[p.id]!]!)));
  const e = c1.journal[0]!;
  assert.equal(toHex(e.x), toHex(vrfContext({ modelId: a.job.modelId, step: 1, batchId: 1, nonce: a.job.nonce, layerId: 1 })));
  assert.equal(toHex(e.y), toHex(sha256(e.pi)));
  assert.equal(e.n, 16 * 32);
});

test("a trace written by one run is read back, verified against its roots, and serves element proofs", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-trace-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { manifest, sink, job } = await run(6, dir, 4);
  assert.ok(manifest);
  assert.equal(manifest.rollups.length, 2);
  assert.equal(manifest.rollups[1]!.count, 2);
  const reader = TraceReader.open(dir);
  reader.verifyAll();
  const it = reader.readIteration(3);
  assert.equal(toHex(it.graphRoot), toHex(sink.commitments[3]!.graphRoot));
  // element proof up to the rollup root, for an element in the middle of fc1.dw
  const node = job.template.nodes.find((n) => n.name === "fc1.dw")!.id;
  const proof = reader.proveElement(3, node, 5000);
  const bits = verifyElementProof(proof, Uint8Array.from(Buffer.from(manifest.rollups[0]!.root.slice(2), "hex")));
  assert.equal(fromBits(bits), it.outputs[node]![5000]);
  // a journal entry proves against the journal root
  const entry = it.journal[1]!;
  assert.ok(entry.layerId === 2);
  assert.ok(verifyProof(Kind.Journal, 2, it.journalRoot, 1, encodeJournalEntry(entry), [sha256(Uint8Array.of(0, ...encodeJournalEntry(it.journal[0]!)))]));
  // a proof against another rollup root is refused
  assert.throws(() => verifyElementProof(proof, new Uint8Array(32)), TraceFormatError);
  // another process reads the same files back and verifies them
  const script = fileURLToPath(new URL("../src/verify-trace.ts", import.meta.url));
  const child = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", script, dir, "3", String(node), "5000"], { encoding: "utf8" }));
  assert.deepEqual(child, { ok: true, iterations: 6, rollups: manifest.rollups.map((r) => r.root), elementBits: bits });
});

test("corrupt, truncated and missing trace files give clear errors naming the file and the problem", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-trace-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await run(3, dir, 4);
  const f1 = join(dir, iterationFileName(1));
  const size = statSync(f1).size;
  // flip one byte of tensor data near the end
  const bytes = readFileSync(f1);
  bytes[size - 100] = bytes[size - 100]! ^ 0x40;
  writeFileSync(f1, bytes);
  const reader = TraceReader.open(dir);
  assert.throws(() => reader.verifyIteration(1), (e: unknown) => e instanceof TraceFormatError && /iter-000000001\.bin/.test(e.message) && /does not match its committed tensor root/.test(e.message));
  assert.throws(() => reader.verifyAll(), TraceFormatError);
  // header corruption is caught by the header checksum
  const f0 = join(dir, iterationFileName(0));
  const b0 = readFileSync(f0);
  b0[70] = b0[70]! ^ 1;
  writeFileSync(f0, b0);
  assert.throws(() => reader.readIteration(0), /header checksum mismatch/);
  // truncation
  const f2 = join(dir, iterationFileName(2));
  truncateSync(f2, statSync(f2).size - 10);
  assert.throws(() => reader.readIteration(2), /truncated: \d+ bytes, expected \d+/);
  truncateSync(f2, 20);
  assert.throws(() => reader.readIteration(2), /truncated/);
  assert.throws(() => reader.readIteration(7), /no iteration 7/);
  // manifest problems
  writeFileSync(join(dir, "manifest.json"), "{ not json");
  assert.throws(() => TraceReader.open(dir), /manifest\.json: not valid JSON/);
  assert.throws(() => TraceReader.open(join(dir, "nope")), /missing \(not a trace directory\?\)/);
});

const bytesOf = (t: Float32Array) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);

test("an honest trace stores only the source nodes, and its reader replays every other output bit for bit", async (t) => {
  const [small, full] = [mkdtempSync(join(tmpdir(), "refereed-trace-")), mkdtempSync(join(tmpdir(), "refereed-trace-"))];
  t.after(() => [small, full].forEach((d) => rmSync(d, { recursive: true, force: true })));
  const a = await run(5, small, 4);
  const b = await run(5, full, 4, false);
  const [ra, rb] = [TraceReader.open(small), TraceReader.open(full)];
  ra.verifyAll();
  rb.verifyAll();
  const tpl = a.job.template;
  const sourceBytes = tpl.nodes.filter(isSourceNode).reduce((s, n) => s + 4 * numel(n.shape), 0);
  const allBytes = tpl.nodes.reduce((s, n) => s + 4 * numel(n.shape), 0);
  const [sa, sb] = [statSync(join(small, iterationFileName(2))).size, statSync(join(full, iterationFileName(2))).size];
  // the same header; the bodies differ by exactly the replayed tensors
  assert.equal(sb - sa, allBytes - sourceBytes);
  assert.ok(sa < sb / 2, `replayable file ${sa} bytes vs full ${sb}`);
  for (let step = 0; step < 5; step++) {
    const [x, y] = [ra.readIteration(step), rb.readIteration(step)];
    assert.deepEqual(x.stored, storedNodes(tpl, true));
    assert.deepEqual(y.stored, storedNodes(tpl, false));
    assert.deepEqual(x.nodeRoots.map(toHex), y.nodeRoots.map(toHex));
    tpl.nodes.forEach((n) => assert.ok(bytesOf(x.outputs[n.id]!).equals(bytesOf(y.outputs[n.id]!)), `step ${step} node ${n.id} (${n.name})`));
  }
  // a replayed node serves the same element proof as a stored one
  const node = tpl.nodes.find((n) => n.name === "fc1.dw")!.id;
  assert.deepEqual(ra.proveElement(3, node, 77), rb.proveElement(3, node, 77));
});

test("an adversary's trace stores every node; a stored node inside the graph feeds the replay of the nodes after it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-trace-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const adv = await auditTrace("activation-tamper", join(dir, "adv"));
  adv.reader.verifyAll();
  assert.ok(adv.reader.readIteration(2).stored.every(Boolean));

  // a run whose hook changes one relu output at step 1: stored with it, the replay of everything downstream is exact;
  // marked replayed, the reader recomputes the honest value and the committed root gives it away
  const data = synthetic(128);
  const job = testJob(MODEL, { trainExamples: 128, datasetRoot: datasetRoot(data) });
  const tpl = job.template;
  const relu = tpl.nodes.find((n) => n.op === "relu")!;
  const committer = new IterationCommitter(tpl);
  const withNode = new TraceWriter({ dir: join(dir, "with"), job, rollupSize: 4, firstStep: 0 });
  const without = new TraceWriter({ dir: join(dir, "without"), job, rollupSize: 4, firstStep: 0 });
  const tr = new Trainer({
    job,
    data,
    seeds: new HashSeedProvider(new Uint8Array(32).fill(4)),
    hook: (n, out, _o, ctx) => {
      if (ctx.step === 1 && n.id === relu.id) out[3] = out[3]! + 0.5;
    },
    sink: {
      iteration(rec) {
        assert.equal(rec.replayable, false);
        const c = committer.commit({ step: rec.step, outputs: rec.executor.outputs, seeds: rec.seeds, masks: rec.masks });
        const sources = storedNodes(tpl, true);
        withNode.writeIteration(c, rec.executor.outputs, rec.examples, sources.map((s, i) => s || i === relu.id));
        without.writeIteration(c, rec.executor.outputs, rec.examples, sources);
      },
    },
  });
  for (let s = 0; s < 3; s++) await tr.runStep();
  withNode.finish();
  without.finish();
  TraceReader.open(join(dir, "with")).verifyAll();
  const r = TraceReader.open(join(dir, "without"));
  r.verifyIteration(0);
  const mismatch = (e: unknown) => e instanceof TraceFormatError && new RegExp(`node ${relu.id} \\(${relu.name}\\) data does not match its committed tensor root \\(replayed`).test(e.message);
  assert.throws(() => r.verifyIteration(1), mismatch);
  // no reader sees an unchecked replayed value: reading the outputs checks them, proofs too
  assert.throws(() => r.readIteration(1).outputs, mismatch);
  assert.throws(() => r.proveElement(1, relu.id + 1, 0), mismatch);
  // a stored node is served without a replay
  const w0 = tpl.nodes.find((n) => n.op === "param")!.id;
  assert.equal(r.proveElement(1, w0, 5).node, w0);
});

test("a source node cannot be marked replayed: the writer refuses, the reader names the node; unknown storage modes are refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-trace-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { job, sink } = await run(1, dir, 4);
  const tpl = job.template;
  const w = new TraceWriter({ dir: join(dir, "w"), job, rollupSize: 4, firstStep: 0 });
  const outputs = tpl.nodes.map((n) => new Float32Array(numel(n.shape)));
  assert.throws(() => w.writeIteration(sink.commitments[0]!, outputs, new Uint32Array(16), tpl.nodes.map(() => false)), /node 0 \(fc1\.w\) has no inputs to replay it from: it must be stored/);
  assert.throws(() => w.writeIteration(sink.commitments[0]!, outputs, new Uint32Array(16), [true]), /storage flags for 1 nodes/);
  // rewrite a storage byte and the header checksum, as a careless tool would
  const f = join(dir, iterationFileName(0));
  const original = readFileSync(f);
  const N = tpl.nodes.length;
  const H = Math.ceil((128 + 4 * N + N + 32 * N + 264 * tpl.dropout.length + 4 * tpl.batch) / 16) * 16;
  const patched = (node: number, mode: number) => {
    const b = Buffer.from(original);
    b[128 + 4 * N + node] = mode;
    b.set(sha256(b.subarray(0, H)), H);
    writeFileSync(f, b);
  };
  const reader = TraceReader.open(dir);
  patched(12, 1);
  assert.throws(() => reader.readIteration(0), /node 12 \(x\) is marked replayed but has no inputs to replay it from/);
  patched(20, 7);
  assert.throws(() => reader.readIteration(0), /node 20 has storage mode 7, expected 0 \(stored\) or 1 \(replayed\)/);
  // marking a replayed node stored without adding its bytes leaves the file short
  patched(20, 0);
  assert.throws(() => reader.readIteration(0), /truncated: \d+ bytes, expected \d+/);
  writeFileSync(f, original);
  reader.verifyIteration(0);
});

test("a format-1 trace (every node stored, no storage bytes) is still read and verified; a file of the other version is refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-trace-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { job, manifest } = await run(3, dir, 4, false);
  const tpl = job.template;
  const reference = TraceReader.open(dir);
  const expected = [0, 1, 2].map((s) => reference.readIteration(s).outputs.map((o) => Buffer.from(bytesOf(o))));
  // rewrite as format 1: drop the N storage bytes after the element counts, re-pad the header, version 1, new checksum
  const N = tpl.nodes.length;
  const pad = (x: number) => Math.ceil(x / 16) * 16;
  const raw = 128 + 4 * N + 32 * N + 264 * tpl.dropout.length + 4 * tpl.batch;
  const v2Header = pad(raw + N);
  for (let s = 0; s < 3; s++) {
    const f = join(dir, iterationFileName(s));
    const b = readFileSync(f);
    const header = Buffer.alloc(pad(raw));
    b.copy(header, 0, 0, 128 + 4 * N);
    b.copy(header, 128 + 4 * N, 128 + 5 * N, raw + N);
    header.writeUInt32BE(1, 8);
    writeFileSync(f, Buffer.concat([header, sha256(header), b.subarray(v2Header + 32)]));
  }
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...m, format: "refereed-trace/1" }));
  const v1 = TraceReader.open(dir);
  assert.equal(v1.version, 1);
  v1.verifyAll();
  for (let s = 0; s < 3; s++) {
    const it = v1.readIteration(s);
    assert.ok(it.stored.every(Boolean));
    it.outputs.forEach((o, i) => assert.ok(bytesOf(o).equals(expected[s]![i]!), `step ${s} node ${i}`));
  }
  assert.deepEqual(Object.keys(READABLE_MANIFEST_FORMATS), ["refereed-trace/1", "refereed-trace/2"]);
  // a format-2 manifest over format-1 files names the mismatch
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...m, format: manifest!.format }));
  assert.throws(() => TraceReader.open(dir).readIteration(0), /version 1, expected 2 \(the manifest's format refereed-trace\/2\)/);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...m, format: "refereed-trace/9" }));
  assert.throws(() => TraceReader.open(dir), /format is refereed-trace\/9, expected one of refereed-trace\/1, refereed-trace\/2/);
});

test("a changed journal seed is reported as a journal mismatch, before any replay draws masks from it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-trace-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { job } = await run(1, dir, 4);
  const tpl = job.template;
  const N = tpl.nodes.length;
  const H = Math.ceil((128 + 4 * N + N + 32 * N + 264 * tpl.dropout.length + 4 * tpl.batch) / 16) * 16;
  const f = join(dir, iterationFileName(0));
  const b = readFileSync(f);
  // journal entry 0 starts after the node roots; y is at +4 (layerId) +32 (x) +128 (pi, G1_BYTES)
  const y = 128 + 5 * N + 32 * N + 4 + 32 + 128;
  assert.ok(Buffer.from(b.subarray(y, y + 32)).equals(Buffer.from(TraceReader.open(dir).readIteration(0).journal[0]!.y)));
  b[y] = b[y]! ^ 1;
  b.set(sha256(b.subarray(0, H)), H);
  writeFileSync(f, b);
  assert.throws(() => TraceReader.open(dir).verifyIteration(0), /journal root does not match the journal entries/);
});
