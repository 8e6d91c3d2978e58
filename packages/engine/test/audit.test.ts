/**
 * Scenario table: every adversary is found by a full audit at the node where it cheated; the honest run and
 * the honest-but-different run (other summation order) never are.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vrfEval, vrfKeygen, fromHex, toHex, verifyRange } from "@refereed/core";
import {
  ADVERSARIES,
  BlsSeedProvider,
  CommitSink,
  HashSeedProvider,
  IterationCommitter,
  TraceReader,
  TraceWriter,
  Trainer,
  audit,
  datasetRoot,
  detectionProbability,
  makeJob,
  makeJobSpec,
  sampledAudit,
  sampleSteps,
  traceSource,
  verifyElementProof,
  violationProofs,
  vrfVerifyBatch,
} from "../src/index.js";
import { AUDIT_DATA, AUDIT_MODEL, AUDIT_STEPS, CHEAT_STEP, auditTrace } from "./helpers.js";

const MODEL = AUDIT_MODEL;
const data = AUDIT_DATA;
const STEPS = AUDIT_STEPS;
const traceWith = auditTrace;

for (const kind of ["honest", ...ADVERSARIES] as const) {
  test(`full audit: ${kind}`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `refereed-adv-${kind}-`));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { adv, reader } = await traceWith(kind, dir);
    // the trace is internally consistent: roots, links, rollups all verify
    reader.verifyAll();
    const r = audit(traceSource(reader), { data });
    if (kind === "honest" || kind === "honest-different") {
      assert.ok(r.ok, r.ok ? "" : `honest run judged a cheat: ${JSON.stringify(r.violation)}`);
      assert.equal(r.iterations, STEPS);
      if (kind === "honest-different") {
        // it really computed other bits than the reference engine
        const hdir = mkdtempSync(join(tmpdir(), "refereed-adv-ref-"));
        t.after(() => rmSync(hdir, { recursive: true, force: true }));
        const ref = (await traceWith("honest", hdir)).reader;
        const differing = ref.readIteration(1).nodeRoots.filter((root, i) => toHex(root) !== toHex(reader.readIteration(1).nodeRoots[i]!)).length;
        assert.ok(differing > 10, `only ${differing} node roots differ from the reference run`);
      }
      return;
    }
    assert.ok(!r.ok, `${kind} not found`);
    const v = r.violation;
    assert.equal(v.step, CHEAT_STEP, `${kind}: found at step ${v.step} (${v.nodeName}: ${v.detail})`);
    assert.equal(v.nodeName, adv!.expectedNode, `${kind}: found at ${v.nodeName} (${v.reason}: ${v.detail})`);
    // the one-step material: the claimed element and every input range open against the committed roots
    const proofs = violationProofs(reader, v);
    const ru = reader.rollupOf(v.step);
    assert.equal(verifyElementProof(proofs.claimed, fromHex(ru.root, 32)), v.claimedBits);
    for (const { opening } of proofs.inputs) assert.ok(verifyRange(opening.tensorRoot, opening.tensorLen, opening), "input range opens");
  });
}

test("sampled audit: the chosen steps are unpredictable without the secret, and detection probability is k/n for one bad iteration", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-sampled-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { reader } = await traceWith("wrong-update", dir);
  const label = fromHex(reader.manifest.rollups[0]!.root, 32);
  const a = sampledAudit(traceSource(reader), { data, fraction: 0.4, secret: new Uint8Array(32).fill(1), label });
  const b = sampledAudit(traceSource(reader), { data, fraction: 0.4, secret: new Uint8Array(32).fill(2), label });
  assert.equal(a.steps.length, 2);
  assert.ok(Math.abs(a.detectionProbabilitySingle - 2 / 5) < 1e-12);
  assert.equal(a.result.ok, !a.steps.includes(CHEAT_STEP));
  assert.equal(b.result.ok, !b.steps.includes(CHEAT_STEP));
  assert.ok(Math.abs(detectionProbability(100, 10, 1) - 0.1) < 1e-12);
  assert.ok(Math.abs(detectionProbability(100, 10, 5) - (1 - (90 * 89 * 88 * 87 * 86) / (100 * 99 * 98 * 97 * 96))) < 1e-12);
  // across many secrets, the sample contains the cheat step about 40% of the time (k/n = 2/5)
  let hits = 0;
  const trials = 400;
  for (let i = 0; i < trials; i++) {
    const secret = new Uint8Array(32);
    new DataView(secret.buffer).setUint32(0, i, false);
    if (sampleSteps(0, STEPS, 0.4, secret, label).includes(CHEAT_STEP)) hits++;
  }
  assert.ok(Math.abs(hits / trials - 0.4) < 0.08, `hits ${hits} of ${trials}`);
});

test("with real BLS VRF seeds the audit verifies every journal proof; a proof under another key is refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-bls-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = vrfKeygen(new Uint8Array(32).fill(8));
  const other = vrfKeygen(new Uint8Array(32).fill(9));
  const mk = (pk: Uint8Array) =>
    makeJob(makeJobSpec({ model: MODEL, datasetRoot: datasetRoot(data), trainExamples: 128, steps: 10, initSeed: new Uint8Array(32).fill(1), vrfKey: pk, seedScheme: "bls12-381" }), new Uint8Array(32).fill(3));
  const job = mk(key.pk);
  const sink = new CommitSink({ job, traceDir: dir, rollupSize: 4 });
  const tr = new Trainer({ job, data, seeds: new BlsSeedProvider(key.sk), sink });
  for (let s = 0; s < 2; s++) await tr.runStep();
  sink.finish();
  assert.ok(audit(traceSource(TraceReader.open(dir)), { data }).ok);
  // a trainer that signs with a key other than the registered one
  const dir2 = mkdtempSync(join(tmpdir(), "refereed-bls2-"));
  t.after(() => rmSync(dir2, { recursive: true, force: true }));
  const sink2 = new CommitSink({ job, traceDir: dir2, rollupSize: 4 });
  const tr2 = new Trainer({ job, data, seeds: new BlsSeedProvider(other.sk), sink: sink2 });
  await tr2.runStep();
  sink2.finish();
  const r = audit(traceSource(TraceReader.open(dir2)), { data });
  assert.ok(!r.ok && r.violation.reason === "journal" && /VRF proof does not verify/.test(r.violation.detail), JSON.stringify(r));
  assert.equal(r.violation.step, 0);
  assert.equal(r.violation.nodeName, "fc1.dropout");
});

test("batch VRF verification: valid batches pass, and a single bad proof among many is named", () => {
  const key = vrfKeygen(new Uint8Array(32).fill(8));
  const claims = Array.from({ length: 6 }, (_, i) => {
    const x = new Uint8Array(32).fill(i + 1);
    return { x, pi: vrfEval(key.sk, x).pi };
  });
  assert.deepEqual(vrfVerifyBatch(key.pk, claims), { valid: true });
  const bad = claims.map((c, i) => (i === 4 ? { x: c.x, pi: claims[3]!.pi } : c));
  assert.deepEqual(vrfVerifyBatch(key.pk, bad), { valid: false, index: 4, reason: "pairing-mismatch" });
  const other = vrfKeygen(new Uint8Array(32).fill(9));
  assert.equal(vrfVerifyBatch(other.pk, claims).valid, false);
  const garbage = claims.map((c, i) => (i === 2 ? { x: c.x, pi: new Uint8Array(128).fill(1) } : c));
  const g = vrfVerifyBatch(key.pk, garbage);
  assert.ok(!g.valid && g.index === 2);
});

test("an audit of steps without their predecessors takes the parameter links from the roots when they agree, and reads the predecessor when they do not", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-link-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // honest format-2 trace: steps 1 and 3 audited alone read neither 0 nor 2
  const { reader } = await traceWith("honest", join(dir, "honest"));
  const src = traceSource(reader);
  const read: number[] = [];
  const counting = { ...src, iteration: (s: number) => (read.push(s), src.iteration(s)) };
  assert.ok(audit(counting, { data, steps: [1, 3], datasetChecked: true }).ok);
  assert.deepEqual(read, [1, 3]);
  // a trainer whose parameters at step 3 are not the update of step 2: the roots differ, the predecessor is read and
  // the link violation names the element. The committer reuses parameter roots by default, but not for an iteration
  // a hook ran on (replayable false), so the changed parameter gets its own root and the trace stays consistent
  const job = reader.job;
  const committer = new IterationCommitter(job.template);
  const writer = new TraceWriter({ dir: join(dir, "link"), job, rollupSize: 8, firstStep: 0 });
  const tr = new Trainer({
    job,
    data,
    seeds: new HashSeedProvider(new Uint8Array(32).fill(4)),
    sink: { iteration: (rec) => writer.writeIteration(committer.commit({ step: rec.step, outputs: rec.executor.outputs, seeds: rec.seeds, masks: rec.masks, replayable: rec.replayable }), rec.executor.outputs, rec.examples) },
    hook: (n, out, _o, ctx) => {
      if (ctx.step === 3 && n.id === 0) out[7] = out[7]! + 0.25;
    },
  });
  for (let s = 0; s < STEPS; s++) await tr.runStep();
  writer.finish();
  const linkSrc = traceSource(TraceReader.open(join(dir, "link")));
  const linkRead: number[] = [];
  const r = audit({ ...linkSrc, iteration: (s: number) => (linkRead.push(s), linkSrc.iteration(s)) }, { data, steps: [3], datasetChecked: true });
  assert.equal(r.ok, false);
  assert.deepEqual({ step: r.violation!.step, node: r.violation!.node, element: r.violation!.element, reason: r.violation!.reason }, { step: 3, node: 0, element: 7, reason: "link" });
  assert.deepEqual(linkRead, [3, 2]);
});
