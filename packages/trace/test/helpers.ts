/** Test fixtures: a real trace written by the engine (tiny MLP, synthetic data) and raw HTTP requests. */
import { request } from "node:http";
import { CommitSink, HashSeedProvider, Trainer, datasetRoot, makeJob, makeJobSpec, type Dataset, type MlpConfig } from "@refereed/engine";

const MODEL: MlpConfig = { sizes: [784, 16, 8, 10], batch: 8, dropout: [{ num: 1, den: 10 }, { num: 1, den: 10 }], lr: 0.05, momentum: 0.9 };

function synthetic(n: number): Dataset {
  const pixels = new Float32Array(n * 784);
  let s = 12345;
  for (let i = 0; i < pixels.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    pixels[i] = (s >>> 8) / 2 ** 24;
  }
  return { n, dim: 784, classes: 10, pixels, labels: Float32Array.from({ length: n }, (_, i) => (i * 7) % 10) };
}

/** A trainer that writes a real trace into `dir` (TRACE_FORMAT.md); `steps(k)` runs k more iterations. */
export function traceWriter(dir: string, rollupSize = 2) {
  const data = synthetic(64);
  const spec = makeJobSpec({
    model: MODEL,
    datasetRoot: datasetRoot(data),
    trainExamples: 64,
    steps: 100,
    initSeed: new Uint8Array(32).fill(1),
    vrfKey: new Uint8Array(32).fill(0xaa),
    seedScheme: "hash-insecure",
  });
  const job = makeJob(spec, new Uint8Array(32).fill(9));
  const sink = new CommitSink({ job, traceDir: dir, rollupSize });
  const tr = new Trainer({ job, data, seeds: new HashSeedProvider(new Uint8Array(32).fill(4)), sink });
  return {
    job,
    sink,
    async steps(k: number): Promise<void> {
      for (let i = 0; i < k; i++) await tr.runStep();
    },
  };
}

/** A GET with the path sent byte for byte (fetch() would normalize `..` away before sending). */
export function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
