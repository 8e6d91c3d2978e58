/**
 * Debug traces of selected one-step transactions (the setup of bench-step-gas.ts), written as JSON for offline
 * attribution of gas to source (a profiling aid; not part of the benchmark).
 *
 *   npx node --import tsx packages/adjudication/scripts/profile-step-gas.ts <outDir> [name ...]
 *
 * Each file <outDir>/<name>.json holds { gas, steps: [[pc, op, gas, gasCost, depth], ...] } of the transaction to
 * OneStepHarness; names: linear.k128, matmul_nt.k10, sgd.end, momentum.end, relu_bwd, dropout, journal, ...
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import type { Hex } from "viem";
import { vrfKeygen } from "@refereed/core";
import { BlsSeedProvider, CommitSink, TraceReader, Trainer, datasetRoot, loadMnist, makeJob, makeJobSpec, type MlpConfig } from "@refereed/engine";
import { ProofBuilder, traceRollupSource, type StepContext } from "../src/index.js";

const MODEL: MlpConfig = { sizes: [784, 128, 64, 10], batch: 64, dropout: [{ num: 1, den: 5 }, { num: 1, den: 5 }], lr: 0.05, momentum: 0.9 };
const STEPS = 3;
const outDir = process.argv[2] ?? "/tmp/step-profile";
const wanted = new Set(process.argv.slice(3));
mkdirSync(outDir, { recursive: true });

const { train } = loadMnist(2048);
const key = vrfKeygen(new Uint8Array(32).fill(7));
const spec = makeJobSpec({ model: MODEL, datasetRoot: datasetRoot(train), trainExamples: train.n, steps: STEPS, initSeed: new Uint8Array(32).fill(1), vrfKey: key.pk, seedScheme: "bls12-381" });
const job = makeJob(spec, new Uint8Array(32).fill(0x5a));
const dir = mkdtempSync(join(tmpdir(), "refereed-step-prof-"));
try {
  const sink = new CommitSink({ job, traceDir: dir, rollupSize: STEPS });
  const trainer = new Trainer({ job, data: train, seeds: new BlsSeedProvider(key.sk), sink });
  for (let s = 0; s < STEPS; s++) await trainer.runStep();
  sink.finish();
  const reader = TraceReader.open(dir);
  const b = new ProofBuilder(traceRollupSource(reader, 0, train));
  const t = b.template;
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const verifier = await viem.deployContract("OneStepVerifier");
  const harness = await viem.deployContract("OneStepHarness", [verifier.address]);
  const byName = (n: string) => t.nodes.find((x) => x.name === n)!.id;
  const numel = (id: number) => t.nodes[id]!.shape.reduce((x, y) => x * y, 1);
  const cases: Record<string, { journal?: boolean; step: number; node: number; element: number }> = {
    "linear.k128": { step: 1, node: byName("fc2.z"), element: 0 },
    "linear.k64": { step: 1, node: byName("fc3.z"), element: 0 },
    "matmul_nt.k10": { step: 1, node: byName("fc2.dout"), element: 1625 },
    "sgd.end": { step: STEPS - 1, node: byName("fc2.w.next"), element: Math.floor(numel(byName("fc2.w.next")) / 2) },
    "momentum.end": { step: STEPS - 1, node: byName("fc2.w.v.next"), element: Math.floor(numel(byName("fc2.w.v.next")) / 2) },
    sgd: { step: 1, node: byName("fc2.w.next"), element: 4096 },
    relu_bwd: { step: 1, node: byName("fc1.dz"), element: 4096 },
    relu: { step: 1, node: byName("fc1.relu"), element: 4096 },
    row_sum: { step: 1, node: byName("fc1.db"), element: 64 },
    xent_loss: { step: 1, node: byName("loss"), element: 32 },
    param: { step: 1, node: byName("fc3.w"), element: 320 },
    data_x: { step: 1, node: byName("x"), element: 25088 },
    journal: { journal: true, step: 1, node: 0, element: 1 },
  };
  for (const [name, c] of Object.entries(cases)) {
    if (wanted.size && !wanted.has(name)) continue;
    const ctx: StepContext = c.journal ? b.journalContext(c.step, c.element) : b.elementContext({ step: c.step, node: c.node, element: c.element });
    const proof: Hex = c.journal ? b.journalProof(c.step, c.element) : b.elementProof({ step: c.step, node: c.node, element: c.element });
    const hash = c.journal ? await harness.write.stepJournal([ctx, proof, true]) : await harness.write.stepElement([ctx, proof, true]);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const trace = (await publicClient.request({
      method: "debug_traceTransaction" as never,
      params: [hash, { disableStorage: true, disableMemory: true, disableStack: true }] as never,
    })) as { gas: number; structLogs: { pc: number; op: string; gas: number; gasCost: number; depth: number }[] };
    const steps = trace.structLogs.map((s) => [s.pc, s.op, s.gas, s.gasCost, s.depth]);
    writeFileSync(join(outDir, `${name}.json`), JSON.stringify({ gas: Number(receipt.gasUsed) - 21000, status: receipt.status, steps }));
    console.log(`${name}: ${Number(receipt.gasUsed) - 21000} gas, ${steps.length} steps, ${receipt.status}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
