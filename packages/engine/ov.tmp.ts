import { loadMnist, makeJob, makeJobSpec, Trainer, HashSeedProvider, CommitSink, iterationElements } from "./src/index.js";
const { train } = loadMnist();
const model = { sizes: [784, 128, 64, 10], batch: 64, dropout: [{ num: 1, den: 10 }, { num: 1, den: 10 }], lr: 0.05, momentum: 0.9 };
const spec = makeJobSpec({ model, datasetRoot: new Uint8Array(32), trainExamples: 8000, steps: 375, initSeed: new Uint8Array(32).fill(1), vrfKey: new Uint8Array(32), seedScheme: "hash-insecure" });
const job = makeJob(spec, new Uint8Array(32).fill(9));
console.log("elements per iteration", iterationElements(job.template), "MB", iterationElements(job.template) * 4 / 1e6);
for (const withCommit of [false, true, false, true]) {
  const sink = withCommit ? new CommitSink({ job, keep: false }) : undefined;
  const tr = new Trainer({ job, data: train, seeds: new HashSeedProvider(new Uint8Array(32)), sink });
  for (let s = 0; s < 10; s++) await tr.runStep();
  const t0 = performance.now();
  for (let s = 0; s < 60; s++) await tr.runStep();
  console.log(withCommit ? "with" : "without", ((performance.now() - t0) / 60).toFixed(2), "ms/step");
}
