/**
 * Engine benchmark (npm run bench:engine): writes bench/results/engine.json.
 *
 * Everything is measured in one process, side by side, with blocks of steps interleaved (A B C D A B C D …)
 * so that load from other processes on the machine hits every configuration alike; each figure is the median
 * of its blocks' mean step times.
 *
 *   baseline   training only: masks from the cheap hash seed scheme (drawn on the training thread with the PRG), no
 *              commitments, no journal, no trace
 *   baselineMaskWorker  training only, its hash-scheme seeds and masks drawn ahead on a worker as the protocol trainer's
 *              are (overheadRatioVsMaskWorker: the stricter comparison)
 *   commitNoTrace  + commitments and journal in a worker (seeds still from the hash scheme), no trace on disk
 *   commit     + the trace store on disk (written by the same worker)
 *   protocol   + BLS12-381 VRF seeds (evaluated ahead in a second worker, mcl-wasm): the full trainer of the protocol
 *   protocolNoble  the same with the reference (noble) VRF evaluator in the seed worker (ADR 0006's comparison)
 *   protocolNormalPriority  the protocol trainer with its workers at normal priority (thread-priority.ts's comparison)
 *   protocolCopy  the protocol trainer computing in its own buffer, copied into a commit slot after each step (the
 *              zero-copy slots' comparison: WorkerCommitSink zeroCopy false)
 *   protocolNoTrace  the protocol trainer without the trace on disk (only in the paired rounds, 2b)
 *   tfjs       @tensorflow/tfjs (pure JS CPU backend): the same MLP, dropout, optimizer and batches
 *
 * Keys: testAccuracy (protocol run, 3 epochs), accuracyCurve, overheadRatio (protocol / baseline − 1),
 * overheadRatioVsMaskWorker (protocol / baselineMaskWorker − 1), overheadRatioPairs (the same comparison as the
 * median over 60 rounds of 20-step blocks run back to back, after the interleaved blocks) and overheadRatioPairsCi90
 * (its 90% bootstrap interval), overheadRatioPairsNoTrace (+ Ci90: the same for the protocol trainer without the trace
 * on disk, measured in the same rounds),
 * overheadRatioCommitOnly (commit / baseline − 1), commitVsSha256 (throughput of the tensor roots of every node
 * output of one iteration / one SHA-256 over the same bytes; the tensor trees in the native SHA-256 tree where it is
 * built, ADR 0013, else as commitVsSha256Wasm), commitVsSha256Wasm (the same roots without the native tree: leaves
 * one node:crypto call each, inner nodes four at a time in WebAssembly SIMD; ADR 0013's comparison, timed in the same
 * loop), commitVsSha256NativeInner (the same with every inner node hashed by its own node:crypto call too: ADR
 * 0012's comparison), nativeHash (whether the native tree was in use, and why not), commitVsSha256FullIteration (the same for the whole
 * iteration commitment: tensor roots without parameter-root reuse, graph root, journal, iteration leaf),
 * commitVsSha256Trainer (the whole iteration commitment as the trainer's commit worker makes it, right after the
 * previous step: the parameters' roots are the previous update's, not hashed again; same bytes, same SHA-256),
 * auditVsTrain (full audit per iteration / baseline step), vsTfjs (protocol step / tfjs step), stepMs.
 *
 * Progress of the accuracy run (steps) and of the timed blocks goes to stderr (a bar on a terminal, plain lines in
 * a log); the timed blocks report it between blocks, never inside one.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { progress, type Progress } from "@refereed/client";
import { sha256, tensorRoot, vrfEval, vrfKeygen, vrfVerify } from "@refereed/core";
import {
  FastHasher,
  HashSeedProvider,
  IterationCommitter,
  TraceReader,
  Trainer,
  audit,
  traceSource,
  WorkerCommitSink,
  WorkerDropoutSource,
  datasetRoot,
  iterationElements,
  loadMnist,
  makeJob,
  makeJobSpec,
  nativeTreeStatus,
  type Dataset,
  type IterationRecord,
  type MlpConfig,
} from "@refereed/engine";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outFile = join(root, "bench", "results", "engine.json");
const quick = process.argv.includes("--quick");

const MODEL: MlpConfig = {
  sizes: [784, 128, 64, 10],
  batch: 64,
  dropout: [
    { num: 1, den: 10 },
    { num: 1, den: 10 },
  ],
  lr: 0.1,
  momentum: 0.8,
};
const NONCE = sha256(new TextEncoder().encode("bench-engine nonce"));
const INIT = sha256(new TextEncoder().encode("bench-engine init"));
const HASH_KEY = sha256(new TextEncoder().encode("bench-engine insecure seed key"));
const BLS = vrfKeygen(sha256(new TextEncoder().encode("bench-engine bls key")));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/**
 * The central `level` interval of the median of xs, by 2,000 resamplings with replacement (a fixed-seed LCG, so the
 * same data give the same interval).
 */
function bootstrapMedianCi(xs: number[], level: number): [number, number] {
  let seed = 0x2545f491;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const meds = Array.from({ length: 2000 }, () => median(Array.from({ length: xs.length }, () => xs[Math.floor(next() * xs.length)]!))).sort((a, b) => a - b);
  const tail = Math.floor(((1 - level) / 2) * meds.length);
  return [meds[tail]!, meds[meds.length - 1 - tail]!];
}
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
/** The progress of the current part (stderr); `log` prints its lines around it. */
let bar: Progress | null = null;
const log = (...a: unknown[]) => {
  const print = () => console.log("[bench:engine]", ...a);
  if (bar) bar.interrupt(print);
  else print();
};

function jobFor(train: Dataset, dsRoot: Uint8Array, scheme: "bls12-381" | "hash-insecure") {
  const spec = makeJobSpec({
    model: MODEL,
    datasetRoot: dsRoot,
    trainExamples: train.n,
    steps: 375,
    initSeed: INIT,
    vrfKey: scheme === "bls12-381" ? BLS.pk : HASH_KEY,
    seedScheme: scheme,
  });
  return makeJob(spec, NONCE);
}

type Mode = "baseline" | "baselineMaskWorker" | "commitNoTrace" | "commit" | "protocol" | "protocolNoble" | "protocolNormalPriority" | "protocolCopy" | "protocolNoTrace";
/** the configurations that only train: no commitments, no journal, no trace */
const trainsOnly = (m: Mode): boolean => m === "baseline" || m === "baselineMaskWorker";

async function makeTrainer(mode: Mode, train: Dataset, dsRoot: Uint8Array, traceDir: string | undefined) {
  const bls = mode.startsWith("protocol");
  const background = mode !== "protocolNormalPriority";
  const scheme = bls ? "bls12-381" : "hash-insecure";
  const job = jobFor(train, dsRoot, scheme);
  const seeds = new HashSeedProvider(HASH_KEY);
  const sink = trainsOnly(mode) ? undefined : new WorkerCommitSink({ job, traceDir, rollupSize: 25, keep: false, background, zeroCopy: mode !== "protocolCopy" });
  const source =
    bls || mode === "baselineMaskWorker"
      ? new WorkerDropoutSource({ job, scheme, key: bls ? BLS.sk : HASH_KEY, evaluator: mode === "protocolNoble" ? "noble" : "mcl-wasm", background, stepsPerEpoch: Math.floor(train.n / MODEL.batch), lookahead: 6 })
      : undefined;
  const trainer = new Trainer({ job, data: train, seeds, sink, dropoutSource: source });
  return {
    trainer,
    /** the commit queue: the work of the steps a block ran, timed with the block */
    async drain() {
      await sink?.drain();
    },
    /**
     * the seeds prefetched for the next steps (lookahead): evaluated after the block's timer stops, so that they do not
     * run during another configuration's block, and the next block of this one starts as a continuous run would,
     * with its seeds ahead
     */
    async settle() {
      await source?.drain();
    },
    async close() {
      const m = await sink?.finish();
      await source?.close();
      return m;
    },
  };
}

async function main() {
  const t0 = performance.now();
  const { train, test } = loadMnist();
  log(`loaded MNIST: ${train.n} train / ${test.n} test in ${(performance.now() - t0).toFixed(0)} ms`);
  let t = performance.now();
  const dsRoot = datasetRoot(train);
  const datasetRootMs = performance.now() - t;
  const scratch = mkdtempSync(join(tmpdir(), "refereed-bench-"));
  try {
    // ── 0. commitment throughput vs raw SHA-256 over the same bytes (one iteration's node outputs) ──
    // first, in a process that has written no trace yet: the kernel's writeback of the later sections' traces (GBs)
    // and their heaps would otherwise run beside it, and the roots (many short calls, copies) suffer more from that
    // than one long SHA-256 does
    // the probe step's record (outputs, seeds, masks) for the full iteration commitment
    const probeRecords: IterationRecord[] = [];
    const probeJob = jobFor(train, dsRoot, "hash-insecure");
    const probe = new Trainer({ job: probeJob, data: train, seeds: new HashSeedProvider(HASH_KEY), sink: { iteration: (r) => void probeRecords.push(r) } });
    await probe.runStep();
    const first = probeRecords[0];
    if (!first) throw new Error("the probe step reported no iteration");
    // step 0 kept (its outputs copied) for the trainer's path below, which commits step 1 after step 0
    const step0 = { step: first.step, outputs: first.executor.outputs.map((o) => Float32Array.from(o)), seeds: first.seeds, masks: first.masks.map((m) => m.slice()), replayable: first.replayable };
    await probe.runStep();
    const rec = probeRecords[1];
    if (!rec || rec.step !== step0.step + 1) throw new Error("the probe's second step reported no iteration");
    const outputs = probe.executor.outputs;
    const step1 = { step: rec.step, outputs, seeds: rec.seeds, masks: rec.masks, replayable: rec.replayable };
    const bytes = new Uint8Array(probe.executor.buffer as ArrayBuffer);
    const h = new FastHasher();
    // the same roots without the native tree (leaves by node:crypto, inner nodes in WebAssembly SIMD), and with
    // every inner node hashed by its own node:crypto call as well, side by side
    const hWasm = new FastHasher({ native: false });
    const hNative = new FastHasher({ native: false, simd: false });
    // every node's tensor root recomputed (no parameter-root reuse), graph root, journal, iteration leaf
    const committer = new IterationCommitter(probeJob.template, { reuseParamRoots: false });
    // the trainer's path (the commit worker's IterationCommitter, default options): step 1 committed right after
    // step 0, so its parameter roots are step 0's update roots (the same bytes) and the parameters are not hashed
    const trainerCommitter = new IterationCommitter(probeJob.template);
    // each probe's run is timed (its `before`, if any, is not), all in one loop so that they share the host's phases
    const rootsOf = (hasher: FastHasher) => () => {
      for (const o of outputs) hasher.tensorRoot(o);
    };
    const probes: Record<"commit" | "iteration" | "core" | "sha" | "wasm" | "nativeInner" | "trainer", { run: () => unknown; before?: () => unknown; ms: number[] }> = {
      commit: { run: rootsOf(h), ms: [] },
      iteration: { run: () => committer.commit(step1), ms: [] },
      core: {
        run: () => {
          for (const o of outputs) tensorRoot(o);
        },
        ms: [],
      },
      sha: { run: () => sha256(bytes), ms: [] },
      wasm: { run: rootsOf(hWasm), ms: [] },
      nativeInner: { run: rootsOf(hNative), ms: [] },
      // step 0 first, untimed: after step 1 of the previous rep it is hashed in full
      trainer: { before: () => trainerCommitter.commit(step0), run: () => trainerCommitter.commit(step1), ms: [] },
    };
    // the first reps run cold (interpreter / baseline JIT, and the SIMD module's baseline code until V8 tiers it up:
    // 2–3 times slower for about five reps); they are warm-up, not timed
    const warmup = 10;
    // 150 timed reps (~4 s): the medians span several of the shared host's busy and quiet phases instead of one
    for (let r = 0; r < warmup + (quick ? 5 : 150); r++) {
      for (const p of Object.values(probes)) {
        p.before?.();
        const s = performance.now();
        p.run();
        const ms = performance.now() - s;
        if (r >= warmup) p.ms.push(ms);
      }
    }
    const { commit: { ms: commitMs }, iteration: { ms: iterationMs }, core: { ms: coreMs }, sha: { ms: shaMs }, wasm: { ms: wasmMs }, nativeInner: { ms: nativeInnerMs }, trainer: { ms: trainerMs } } = probes;
    // the reused parameter roots are the right ones: the same iteration leaf as hashing every node
    trainerCommitter.commit(step0);
    if (Buffer.compare(trainerCommitter.commit(step1).leaf, committer.commit(step1).leaf) !== 0) throw new Error("the trainer's committer made another iteration leaf");
    const iterationBytes = iterationElements(probeJob.template) * 4;

    // ── 1. accuracy: the full protocol trainer, 3 epochs, trace on disk ──
    const epochs = quick ? 1 : 3;
    const acc = await makeTrainer("protocol", train, dsRoot, join(scratch, "accuracy-trace"));
    const curve: { epoch: number; step: number; meanLoss: number | null; testAccuracy: number }[] = [
      { epoch: 0, step: 0, meanLoss: null, testAccuracy: acc.trainer.accuracy(test) },
    ];
    t = performance.now();
    const spe = acc.trainer.schedule.stepsPerEpoch;
    bar = progress({ label: "accuracy run", total: epochs * spe });
    for (let e = 1; e <= epochs; e++) {
      let loss = 0;
      for (let s = 0; s < spe; s++) {
        loss += await acc.trainer.runStep();
        bar.tick(1, `epoch ${e}/${epochs}`);
      }
      await acc.drain();
      curve.push({ epoch: e, step: acc.trainer.step, meanLoss: round(loss / spe), testAccuracy: acc.trainer.accuracy(test) });
      log(`epoch ${e}: mean loss ${(loss / spe).toFixed(4)}, test accuracy ${curve[e]!.testAccuracy}`);
    }
    bar.done(`${epochs * spe} steps, test accuracy ${curve.at(-1)!.testAccuracy}`);
    bar = null;
    const accuracyRunMs = performance.now() - t;
    const manifest = await acc.close();
    const traceBytes = manifest ? dirBytes(join(scratch, "accuracy-trace")) : 0;

    // ── audit of the protocol run's trace: a window of consecutive iterations, full checks ──
    const reader = TraceReader.open(join(scratch, "accuracy-trace"));
    const auditSteps = Array.from({ length: quick ? 5 : 20 }, (_, i) => 60 + i);
    t = performance.now();
    const auditResult = audit(traceSource(reader), { data: train, steps: auditSteps, datasetChecked: true });
    const auditMsPerIteration = (performance.now() - t) / auditSteps.length;
    const kp = vrfKeygen(new Uint8Array(32).fill(5));
    const probeX = new Uint8Array(32);
    const probePi = vrfEval(kp.sk, probeX).pi;
    t = performance.now();
    for (let i = 0; i < 5; i++) vrfVerify(kp.pk, probeX, probePi);
    const vrfVerifyMs = (performance.now() - t) / 5;
    if (!auditResult.ok) throw new Error(`the honest protocol run failed its audit: ${JSON.stringify(auditResult.violation)}`);
    log(`audit: ${auditSteps.length} iterations, ${auditMsPerIteration.toFixed(1)} ms per iteration (roots re-verified, BLS proofs verified), ${auditResult.exactFallbacks} exact fallbacks`);
    rmSync(join(scratch, "accuracy-trace"), { recursive: true, force: true });

    // ── 2. step times, interleaved blocks ──
    const blocks = quick ? 2 : 10;
    const blockSteps = quick ? 15 : 60;
    const modes: Mode[] = ["baseline", "baselineMaskWorker", "commitNoTrace", "commit", "protocol", "protocolNoble", "protocolNormalPriority", "protocolCopy"];
    // protocolNoTrace runs only in the paired blocks (2b)
    const allModes: Mode[] = [...modes, "protocolNoTrace"];
    const runs = Object.fromEntries(
      await Promise.all(allModes.map(async (m) => [m, await makeTrainer(m, train, dsRoot, trainsOnly(m) || m === "commitNoTrace" || m === "protocolNoTrace" ? undefined : join(scratch, `trace-${m}`))] as const)),
    );
    const perUnit = () => Object.fromEntries([...modes, "tfjs"].map((k) => [k, [] as number[]])) as Record<Mode | "tfjs", number[]>;
    const times = perUnit();
    // CPU time of the whole process (all threads) per step: the work each configuration adds, whatever the load
    const cpu = perUnit();
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    // CPU time of the training thread alone (Node >= 22.19): what the protocol adds to it, apart from waiting
    const mainCpu = perUnit();
    const threadCpu = (process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
    const mainCpuMs = () => {
      const u = threadCpu ? threadCpu.call(process) : { user: Number.NaN, system: Number.NaN };
      return (u.user + u.system) / 1000;
    };
    const tf = await loadTfjs();
    const tfModel = tf ? buildTfjsModel(tf) : null;
    // warm-up
    for (const m of allModes) {
      for (let s = 0; s < 5; s++) await runs[m]!.trainer.runStep();
      await runs[m]!.drain();
      await runs[m]!.settle();
    }
    if (tf && tfModel) for (let s = 0; s < 3; s++) await tfjsStep(tf, tfModel, train, runs.baseline!.trainer.schedule.examples(s));
    bar = progress({ label: "timed blocks", total: blocks * (modes.length + (tf && tfModel ? 1 : 0)) * blockSteps });
    // each round starts one configuration later (A B C … then B C … A), so whatever one block leaves behind (tfjs's
    // garbage, the kernel's writeback of a trace) falls on a different configuration each round; the untimed gc()
    // between blocks (node --expose-gc) starts each block with the heap collected
    const units: (Mode | "tfjs")[] = [...modes, ...(tf && tfModel ? (["tfjs"] as const) : [])];
    const collect = (globalThis as { gc?: () => void }).gc;
    /**
     * One timed block of `steps` steps of configuration m, its commitments drained inside the time and its seed
     * lookahead settled after: wall, process CPU and training-thread CPU per step. Starts with the heap collected.
     */
    const timedBlock = async (m: Mode, steps: number) => {
      const r = runs[m]!;
      collect?.();
      const start = performance.now();
      const c0 = cpuMs();
      const t0 = mainCpuMs();
      for (let s = 0; s < steps; s++) await r.trainer.runStep();
      await r.drain();
      const block = { ms: (performance.now() - start) / steps, cpuMs: (cpuMs() - c0) / steps, mainCpuMs: (mainCpuMs() - t0) / steps };
      await r.settle();
      return block;
    };
    for (let b = 0; b < blocks; b++) {
      for (const unit of [...units.slice(b % units.length), ...units.slice(0, b % units.length)]) {
        bar.tick(0, `block ${b + 1}/${blocks}: ${unit}`);
        if (unit === "tfjs") {
          collect?.();
          const start = performance.now();
          const c0 = cpuMs();
          for (let s = 0; s < blockSteps; s++) await tfjsStep(tf!, tfModel!, train, runs.baseline!.trainer.schedule.examples(b * blockSteps + s));
          times.tfjs.push((performance.now() - start) / blockSteps);
          cpu.tfjs.push((cpuMs() - c0) / blockSteps);
          bar.tick(blockSteps);
          continue;
        }
        const block = await timedBlock(unit, blockSteps);
        times[unit].push(block.ms);
        cpu[unit].push(block.cpuMs);
        mainCpu[unit].push(block.mainCpuMs);
        bar.tick(blockSteps);
      }
      log(`block ${b + 1}/${blocks}: ${Object.entries(times).map(([k, v]) => `${k} ${v.at(-1)?.toFixed(2) ?? "-"} ms`).join(", ")}`);
    }
    bar.done();
    bar = null;

    // ── 2b. the overhead in short rounds: protocol and protocolNoTrace against baselineMaskWorker, 20-step blocks ──
    // The interleaved blocks above compare medians of blocks that ran up to a whole round (~8 s) apart, and the
    // shared host's phases last seconds: one run's overheadRatio moved by ±0.07 from run to run. Here each round runs
    // the three back to back (the order rotates), and each figure is the median over rounds of a block's ratio to its
    // round's baseline block, with a bootstrap interval. protocolNoTrace is the protocol trainer without the trace
    // on disk: the issue's "with commitments and journal vs without".
    const pairRounds = quick ? 6 : 60;
    const pairSteps = 20;
    const pairModes = ["baselineMaskWorker", "protocolNoTrace", "protocol"] as const;
    type PairMode = (typeof pairModes)[number];
    const pairs: Record<PairMode, number>[] = [];
    bar = progress({ label: "paired blocks", total: pairRounds });
    for (let i = 0; i < pairRounds; i++) {
      const blockMs = {} as Record<PairMode, number>;
      for (let k = 0; k < pairModes.length; k++) {
        const m = pairModes[(i + k) % pairModes.length]!;
        blockMs[m] = (await timedBlock(m, pairSteps)).ms;
      }
      pairs.push(blockMs);
      bar.tick(1);
    }
    bar.done();
    bar = null;
    /** the median over rounds of m's block / its round's baseline block − 1, and its 90% bootstrap interval */
    const vsPairBaseline = (m: PairMode) => {
      const ratios = pairs.map((p) => p[m] / p.baselineMaskWorker - 1);
      return { median: median(ratios), ci90: bootstrapMedianCi(ratios, 0.9) };
    };
    const pairProtocol = vsPairBaseline("protocol");
    const pairNoTrace = vsPairBaseline("protocolNoTrace");

    for (const m of allModes) await runs[m]!.close();
    // audit of a trace without BLS proofs (hash seed scheme): the element checks and root verification alone
    const reader2 = TraceReader.open(join(scratch, "trace-commit"));
    const steps2 = Array.from({ length: quick ? 5 : 20 }, (_, i) => 10 + i);
    t = performance.now();
    const audit2 = audit(traceSource(reader2), { data: train, steps: steps2, datasetChecked: true });
    const auditNoVrfMs = (performance.now() - t) / steps2.length;
    if (!audit2.ok) throw new Error(`the honest commit run failed its audit: ${JSON.stringify(audit2.violation)}`);
    const stepMs = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.length ? round(median(v), 3) : null])) as Record<Mode | "tfjs", number | null>;
    const mainCpuMsPerStep = Object.fromEntries(Object.entries(mainCpu).map(([k, v]) => [k, v.length && !Number.isNaN(v[0]) ? round(median(v), 3) : null])) as Record<Mode | "tfjs", number | null>;
    const cpuMsPerStep = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v.length ? round(median(v), 3) : null])) as Record<Mode | "tfjs", number | null>;


    const result = {
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", node: process.version },
      model: MODEL,
      testAccuracy: curve.at(-1)!.testAccuracy,
      accuracyCurve: curve,
      epochs,
      overheadRatio: stepMs.protocol !== null && stepMs.baseline ? round(stepMs.protocol / stepMs.baseline - 1) : null,
      overheadRatioCommitOnly: stepMs.commit !== null && stepMs.baseline ? round(stepMs.commit / stepMs.baseline - 1) : null,
      // the stricter comparison: training alone with its dropout masks also drawn on a worker (as the protocol trainer's
      // are, with its seeds), so that moving the masks off the training thread is not counted to the protocol's credit
      overheadRatioVsMaskWorker: stepMs.protocol !== null && stepMs.baselineMaskWorker ? round(stepMs.protocol / stepMs.baselineMaskWorker - 1) : null,
      overheadRatioCommitNoTrace: stepMs.commitNoTrace !== null && stepMs.baseline ? round(stepMs.commitNoTrace / stepMs.baseline - 1) : null,
      overheadRatioNobleVrf: stepMs.protocolNoble !== null && stepMs.baseline ? round(stepMs.protocolNoble / stepMs.baseline - 1) : null,
      overheadRatioNormalPriority: stepMs.protocolNormalPriority !== null && stepMs.baseline ? round(stepMs.protocolNormalPriority / stepMs.baseline - 1) : null,
      overheadRatioCopy: stepMs.protocolCopy !== null && stepMs.baseline ? round(stepMs.protocolCopy / stepMs.baseline - 1) : null,
      // the median over blocks of each block's protocol/baseline ratio (the blocks run back to back, so slow phases of
      // a shared machine hit both sides of a pair alike)
      overheadRatioPairedMedian: times.protocol.length ? round(median(times.protocol.map((p, i) => p / times.baseline[i]! - 1))) : null,
      // section 2b: the median over 60 rounds of 20-step blocks run back to back, protocol / baselineMaskWorker − 1,
      // and the same without the trace on disk (commitments, journal and BLS VRF seeds only)
      overheadRatioPairs: round(pairProtocol.median),
      overheadRatioPairsCi90: pairProtocol.ci90.map((x) => round(x)),
      overheadRatioPairsNoTrace: round(pairNoTrace.median),
      overheadRatioPairsNoTraceCi90: pairNoTrace.ci90.map((x) => round(x)),
      commitVsSha256: round(median(shaMs) / median(commitMs)),
      commitVsSha256Wasm: round(median(shaMs) / median(wasmMs)),
      commitVsSha256NativeInner: round(median(shaMs) / median(nativeInnerMs)),
      nativeHash: nativeTreeStatus(),
      commitVsSha256CoreMerkle: round(median(shaMs) / median(coreMs)),
      commitVsSha256FullIteration: round(median(shaMs) / median(iterationMs)),
      commitVsSha256Trainer: round(median(shaMs) / median(trainerMs)),
      auditVsTrain: stepMs.baseline ? round(auditMsPerIteration / stepMs.baseline) : null,
      auditVsTrainWithoutVrf: stepMs.baseline ? round(auditNoVrfMs / stepMs.baseline) : null,
      audit: { iterations: auditSteps.length, msPerIteration: round(auditMsPerIteration, 2), msPerIterationWithoutVrf: round(auditNoVrfMs, 2), vrfVerifyMs: round(vrfVerifyMs, 2), exactFallbacks: auditResult.exactFallbacks, includes: "trace read + every tensor root recomputed + every element checked + BLS VRF verification of each journal entry" },
      vsTfjs: stepMs.protocol !== null && stepMs.tfjs ? round(stepMs.protocol / stepMs.tfjs) : null,
      vsTfjsBaseline: stepMs.baseline !== null && stepMs.tfjs ? round(stepMs.baseline / stepMs.tfjs) : null,
      stepMs,
      cpuMsPerStep,
      mainCpuMsPerStep,
      cpuOverheadRatio: cpuMsPerStep.protocol !== null && cpuMsPerStep.baseline ? round(cpuMsPerStep.protocol / cpuMsPerStep.baseline - 1) : null,
      cpuOverheadRatioCommitOnly: cpuMsPerStep.commit !== null && cpuMsPerStep.baseline ? round(cpuMsPerStep.commit / cpuMsPerStep.baseline - 1) : null,
      loadAverage: loadavg().map((x) => round(x, 2)),
      blocks: { count: blocks, stepsPerBlock: blockSteps, times, cpu },
      pairs: { rounds: pairRounds, stepsPerBlock: pairSteps, msPerStep: pairs.map((p) => Object.fromEntries(pairModes.map((m) => [m, round(p[m], 3)]))) },
      commitment: {
        iterationBytes,
        commitMsPerIteration: round(median(commitMs), 3),
        fullIterationMsPerIteration: round(median(iterationMs), 3),
        trainerMsPerIteration: round(median(trainerMs), 3),
        wasmMsPerIteration: round(median(wasmMs), 3),
        nativeInnerMsPerIteration: round(median(nativeInnerMs), 3),
        coreMerkleMsPerIteration: round(median(coreMs), 3),
        sha256MsPerIteration: round(median(shaMs), 3),
        commitMBps: round(iterationBytes / 1e3 / median(commitMs), 1),
        sha256MBps: round(iterationBytes / 1e3 / median(shaMs), 1),
      },
      trace: { bytesFor3Epochs: traceBytes, bytesPerIteration: Math.round(traceBytes / (epochs * spe)) },
      datasetRootMs: round(datasetRootMs, 1),
      accuracyRunMs: Math.round(accuracyRunMs),
      notes: [
        "overheadRatio: full protocol trainer (BLS VRF seeds in a worker with mcl-wasm, commitments + journal + trace on disk in a worker) vs training alone; 2 cores shared by 3 threads; overheadRatioNobleVrf: the same with the reference noble VRF evaluator, measured in the same interleaved blocks",
        "auditVsTrain: full audit time per iteration (from the trace on disk) / baseline training step time; auditVsTrainWithoutVrf: the same audit of a trace made with the hash seed scheme (no BLS pairing checks; those cost vrfVerifyMs per dropout layer per iteration)",
        quick ? "--quick run: 1 epoch and fewer blocks; not the reported figures" : "full run",
      ],
    };
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, JSON.stringify(result, null, 2) + "\n");
    log(`wrote ${outFile}`);
    log(JSON.stringify({ testAccuracy: result.testAccuracy, overheadRatio: result.overheadRatio, overheadRatioPairs: result.overheadRatioPairs, overheadRatioPairsCi90: result.overheadRatioPairsCi90, overheadRatioPairsNoTrace: result.overheadRatioPairsNoTrace, overheadRatioPairsNoTraceCi90: result.overheadRatioPairsNoTraceCi90, overheadRatioVsMaskWorker: result.overheadRatioVsMaskWorker, overheadRatioCommitOnly: result.overheadRatioCommitOnly, cpuOverheadRatio: result.cpuOverheadRatio, commitVsSha256: result.commitVsSha256, commitVsSha256Wasm: result.commitVsSha256Wasm, commitVsSha256NativeInner: result.commitVsSha256NativeInner, commitVsSha256FullIteration: result.commitVsSha256FullIteration, commitVsSha256Trainer: result.commitVsSha256Trainer, auditVsTrain: result.auditVsTrain, vsTfjs: result.vsTfjs, stepMs, cpuMsPerStep, mainCpuMsPerStep, traceBytesPerIteration: result.trace.bytesPerIteration, loadAverage: result.loadAverage }));
  } finally {
    bar?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function dirBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

// ── tfjs side ──
type Tf = typeof import("@tensorflow/tfjs");
type TfModel = import("@tensorflow/tfjs").Sequential;

async function loadTfjs(): Promise<Tf | null> {
  try {
    const tf = (await import("@tensorflow/tfjs")) as Tf;
    await tf.setBackend("cpu");
    await tf.ready();
    log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);
    return tf;
  } catch (err) {
    log(`tfjs unavailable: ${(err as Error).message}`);
    return null;
  }
}

function buildTfjsModel(tf: Tf): TfModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 128, activation: "relu" }),
      tf.layers.dropout({ rate: 0.1 }),
      tf.layers.dense({ units: 64, activation: "relu" }),
      tf.layers.dropout({ rate: 0.1 }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.momentum(0.1, 0.8), loss: "categoricalCrossentropy" });
  return model;
}

const tfX = new Float32Array(64 * 784);
const tfY = new Float32Array(64 * 10);
async function tfjsStep(tf: Tf, model: TfModel, train: Dataset, examples: Uint32Array): Promise<void> {
  tfY.fill(0);
  examples.forEach((e, j) => {
    tfX.set(train.pixels.subarray(e * 784, (e + 1) * 784), j * 784);
    tfY[j * 10 + train.labels[e]!] = 1;
  });
  const xs = tf.tensor2d(tfX, [64, 784]);
  const ys = tf.tensor2d(tfY, [64, 10]);
  await model.trainOnBatch(xs, ys);
  xs.dispose();
  ys.dispose();
}

await main();
