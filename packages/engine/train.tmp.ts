import { loadMnist, mlpTemplate, templateHash, makeJob, Trainer, HashSeedProvider, type JobSpec, type MlpConfig } from "./src/index.js";
import { toHex } from "@refereed/core";
const lr = Number(process.argv[2] ?? 0.1), mom = Number(process.argv[3] ?? 0);
let t0 = performance.now();
const { train, test } = loadMnist();
console.log("load ms", performance.now() - t0);
const model: MlpConfig = { sizes: [784, 128, 64, 10], batch: 64, dropout: [{ num: Number(process.argv[4] ?? 1), den: 10 }, { num: Number(process.argv[4] ?? 1), den: 10 }], lr, momentum: mom };
const spec: JobSpec = { version: 1, model, templateHash: templateHash(mlpTemplate(model)), datasetRoot: toHex(new Uint8Array(32)), trainExamples: 8000, steps: 375, initSeed: toHex(new Uint8Array(32).fill(1)), vrfKey: toHex(new Uint8Array(32)), seedScheme: "hash-insecure" };
const job = makeJob(spec, new Uint8Array(32).fill(9));
const tr = new Trainer({ job, data: train, seeds: new HashSeedProvider(new Uint8Array(32)) });
console.log("acc0", tr.accuracy(test));
for (let e = 0; e < 3; e++) {
  t0 = performance.now(); let l = 0;
  for (let s = 0; s < 125; s++) l += await tr.runStep();
  const ms = (performance.now() - t0) / 125;
  console.log("epoch", e + 1, "loss", (l / 125).toFixed(4), "acc", tr.accuracy(test), "ms/step", ms.toFixed(2));
}
