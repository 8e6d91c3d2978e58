/**
 * `npm run demo`: the whole protocol on one machine, offline.
 *
 *   1. starts a local JSON-RPC chain (`hardhat node` on 127.0.0.1, EDR osaka: EIP-2537) and deploys the contracts;
 *   2. creates one job per scenario for the MNIST MLP 784-128-64-10 with dropout 1/10 after each hidden layer, each
 *      directed at its own trainer's BLS VRF key: an honest job (three epochs) and one per attack;
 *   3. runs a challenger daemon and one trainer daemon per job, each its own process (real HTTP trace servers,
 *      real transactions): honest rollups finalize and are paid; every cheating trainer is audited, disputed down
 *      to one operator element, adjudicated on-chain and slashed;
 *   4. prints progress while it runs and ends with a table, also written to demo-report.json.
 *
 * Progress: events of the chain as lines on stdout; on stderr a progress bar (a terminal) or plain lines (a pipe, a
 * log): the chain starting, the jobs created, the training steps of every trainer (each serves its Prometheus
 * counter on 127.0.0.1, at the address its log's ready line names), then the jobs settling (rollups submitted and
 * finalized, the next challenge window, games resolved, attacks caught).
 *
 * Environment: DEMO_HONEST_STEPS (default 375: three epochs, in 5 rollups), DEMO_ATTACK_STEPS (8), DEMO_TIMEOUT_S (540), DEMO_KEEP=1 keeps the
 * work directory (.refereed/demo-*: configs, logs of every process, traces, bot stores), DEMO_REPORT the report path.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { createPublicClient, createWalletClient, formatEther, http, parseEther, parseEventLogs, type Abi, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployProtocol, loadArtifact, progress, repoRoot, type Progress } from "@refereed/client";
import { sha256, toHex, utf8, vrfKeygen } from "@refereed/core";
import { countCorrect, datasetRoot, loadMnist, makeJobSpec, mlpTemplate, TraceReader, type AdversaryKind, type JobSpec } from "@refereed/engine";
import { jobParamsForSpec, trainerBondAward } from "@refereed/trainer/shared";
import { localDevKey } from "../packages/cli/src/network.js";
import { table } from "../packages/cli/src/protocol.js";

const ATTACKS: readonly AdversaryKind[] = ["seed-tamper", "p-tamper", "activation-tamper", "dropout-attack", "skipped-operator", "wrong-update", "batch-substitution"];
const HONEST_STEPS = Number(process.env.DEMO_HONEST_STEPS ?? 375);
const ATTACK_STEPS = Number(process.env.DEMO_ATTACK_STEPS ?? 8);
const TIMEOUT_S = Number(process.env.DEMO_TIMEOUT_S ?? 540);
const REPORT = resolve(process.env.DEMO_REPORT ?? join(repoRoot, "demo-report.json"));
const MODEL = { sizes: [784, 128, 64, 10], batch: 64, dropout: [{ num: 1, den: 10 }, { num: 1, den: 10 }], lr: 0.1, momentum: 0.8 };
const ECON = { window: 75, trainerClock: 150, challengerClock: 150, submissionTimeout: 1_800, reward: "1", trainerBond: "0.5", challengerBond: "0.1" };
/** A caught trainer's bond: half to the winning challenger, the rest to the requester (docs/GAME.md §6). */
const BONDS_MOVED = (() => {
  const bond = parseEther(ECON.trainerBond);
  const award = trainerBondAward(bond);
  return `${formatEther(award)} ETH → challenger, ${formatEther(bond - award)} ETH → requester`;
})();

interface Scenario {
  readonly name: string;
  readonly attack: "none" | AdversaryKind;
  readonly steps: number;
  readonly rollupSteps: number;
  readonly trainerKey: Hex;
  readonly vrfSeed: Uint8Array;
  jobId?: bigint;
  spec?: JobSpec;
  dataDir?: string;
  /** the trainer's log; its Prometheus endpoint (from the log's ready line), and the training steps last read there */
  logFile?: string;
  metricsUrl?: string;
  trained?: number;
}

const t0 = Date.now();
const children: ChildProcess[] = [];
const elapsed = () => `${String(Math.round((Date.now() - t0) / 1000)).padStart(4)}s`;
/** The progress of the current phase (stderr); `say` prints its lines around it. */
let bar: Progress | null = null;
const say = (line: string) => {
  const print = () => console.log(`[${elapsed()}] ${line}`);
  if (bar) bar.interrupt(print);
  else print();
};

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? res(a.port) : rej(new Error("no port"))));
    });
  });
}

function startProcess(name: string, argv: string[], logFile: string): ChildProcess {
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, argv, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_NO_WARNINGS: "1" } });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  child.on("exit", (code, signal) => {
    if (!stopping && code !== 0) say(`${name} exited (${code ?? signal}); see ${logFile}`);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stopAll(): void {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
}
process.on("SIGINT", () => {
  bar?.stop();
  stopAll();
  process.exit(130);
});

async function waitRpc(url: string, ms: number): Promise<PublicClient> {
  const client = createPublicClient({ transport: http(url, { retryCount: 0, timeout: 2000 }) }) as PublicClient;
  const end = Date.now() + ms;
  for (;;) {
    try {
      await client.getChainId();
      return client;
    } catch (e) {
      if (Date.now() > end) throw new Error(`the local chain did not answer on ${url}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** The metrics URL a bot logs when it is ready (`{"event":"ready","metrics":…}`), once it has. */
function readyMetricsUrl(logFile: string): string | undefined {
  if (!existsSync(logFile)) return undefined;
  const m = /"event":"ready"[^\n]*?"metrics":"([^"]+)"/.exec(readFileSync(logFile, "utf8"));
  return m?.[1];
}

/** Training steps a trainer has run, from its Prometheus counter; null while it does not answer (starting, busy). */
async function stepsTrained(s: Scenario): Promise<number | null> {
  s.metricsUrl ??= readyMetricsUrl(s.logFile!);
  if (!s.metricsUrl) return null;
  try {
    const res = await fetch(s.metricsUrl, { signal: AbortSignal.timeout(1000) });
    const m = /^refereed_trainer_training_steps_total (\S+)$/m.exec(await res.text());
    return m ? Number(m[1]) : null;
  } catch {
    return null; // progress only: the chain, not this counter, decides what the demo reports
  }
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);

/**
 * What the demo shows while it follows the chain: first the training steps of every trainer (from their counters),
 * then the jobs settling: the honest rollups submitted and finalized, the next challenge window, games, attacks caught.
 */
class FollowProgress {
  gamesOpened = 0;
  gamesResolved = 0;
  /** honest rollup index → the unix second its challenge window closes */
  private readonly windows = new Map<number, number>();
  private readonly final = new Set<number>();
  private training = true;
  /** how far the chain's clock runs ahead of this one (a block a transaction: busy seconds push its timestamps ahead) */
  private chainAhead = 0;

  constructor(
    private readonly scenarios: readonly Scenario[],
    private readonly honest: Scenario,
    private readonly honestRollups: number,
  ) {}

  start(): Progress {
    return progress({ label: "training steps", total: sum(this.scenarios, (s) => s.steps) });
  }

  submitted(index: number, windowCloses: number): void {
    this.windows.set(index, windowCloses);
  }

  finalized(index: number): void {
    this.final.add(index);
  }

  sawChainTime(timestamp: number): void {
    this.chainAhead = Math.max(this.chainAhead, timestamp - Math.floor(Date.now() / 1000));
  }

  async readTrainers(): Promise<void> {
    await Promise.all(
      this.scenarios.map(async (s) => {
        const n = await stepsTrained(s);
        if (n !== null) s.trained = n;
      }),
    );
  }

  /** Updates `bar`; returns the bar of the settling phase once every trainer has trained all its steps. */
  show(bar: Progress, settled: ReadonlyMap<bigint, string>): Progress {
    const h = this.honest;
    // a trainer whose job has ended trains no more; the honest one has trained at least what it submitted
    const steps = (s: Scenario) => (settled.has(s.jobId!) ? s.steps : Math.min(s.steps, Math.max(s.trained ?? 0, s === h ? this.windows.size * s.rollupSteps : 0)));
    const attacks = this.scenarios.filter((s) => s !== h);
    const caught = attacks.filter((s) => settled.get(s.jobId!) === "dead").length;
    if (this.training) {
      const trained = sum(this.scenarios, steps);
      bar.update(trained, `honest ${steps(h)}/${h.steps}, ${this.windows.size}/${this.honestRollups} rollups submitted · attacks ${sum(attacks, steps)}/${sum(attacks, (s) => s.steps)} steps, caught ${caught}/${attacks.length}`);
      if (trained < sum(this.scenarios, (s) => s.steps)) return bar;
      bar.done(`${trained} steps trained`);
      this.training = false;
      bar = progress({ label: "settling jobs", total: this.scenarios.length });
    }
    const next = [...this.windows.keys()].filter((k) => !this.final.has(k)).sort((a, b) => a - b)[0];
    const left = next === undefined ? 0 : this.windows.get(next)! - Math.floor(Date.now() / 1000) - this.chainAhead;
    const window = next === undefined ? "" : left > 0 ? ` (rollup ${next}'s window closes in ${left} s)` : ` (rollup ${next} finalizing)`;
    bar.update(settled.size, `attacks caught ${caught}/${attacks.length} · honest ${this.final.size}/${this.honestRollups} rollups finalized${window} · games ${this.gamesResolved}/${this.gamesOpened} resolved`);
    return bar;
  }
}

/** Every trace directory (one per rollup) under `dir`. */
function traceDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (existsSync(join(dir, "manifest.json"))) return [dir];
  return readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? traceDirs(join(dir, e)) : []));
}

/** Test accuracy of the honest trainer's final state, read back from its last rollup's trace on disk. */
function honestAccuracy(s: Scenario): number | null {
  const readers = traceDirs(join(s.dataDir!, "traces")).map((d) => TraceReader.open(d));
  if (readers.length === 0) return null;
  const lastStep = (r: TraceReader) => r.manifest.iterations.at(-1)!.step;
  const reader = readers.reduce((a, b) => (lastStep(b) > lastStep(a) ? b : a));
  const t = mlpTemplate(MODEL);
  const it = reader.readIteration(lastStep(reader));
  const state = t.updateOf.map((node) => it.outputs[node]!);
  const { test } = loadMnist(8000);
  return countCorrect(t, state, test.pixels, test.labels, test.n) / test.n;
}

async function main(): Promise<void> {
  const work = resolve(repoRoot, ".refereed", `demo-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(work, { recursive: true });
  console.log(`refereed demo — work directory ${work}\n`);

  // 1. chain + deployment
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const hardhat = realpathSync(join(repoRoot, "node_modules/.bin/hardhat"));
  startProcess("chain", [hardhat, "node", "--hostname", "127.0.0.1", "--port", String(port)], join(work, "chain.log"));
  bar = progress({ label: "starting the local chain", refreshMs: 250 });
  const publicClient = await waitRpc(rpcUrl, 60_000).finally(() => bar?.stop());
  say(`local chain up on ${rpcUrl} (chain id ${await publicClient.getChainId()})`);
  const requester = privateKeyToAccount(localDevKey(0));
  const { deployment } = await deployProtocol({ network: "demo", rpcUrl, account: requester, root: work });
  const deploymentFile = join(work, "deployments", "demo.json");
  say(`deployed Refereed ${deployment.contracts.Refereed.address} (verifier ${deployment.contracts.OneStepVerifier.address})`);

  // 2. jobs
  const { train } = loadMnist(8000);
  const dsRoot = datasetRoot(train);
  const scenarios: Scenario[] = [
    { name: "honest", attack: "none", steps: HONEST_STEPS, rollupSteps: Math.max(1, Math.ceil(HONEST_STEPS / 5)), trainerKey: localDevKey(2), vrfSeed: sha256(utf8("demo vrf honest")) },
    ...ATTACKS.map((a, i) => ({ name: a, attack: a, steps: ATTACK_STEPS, rollupSteps: 4, trainerKey: localDevKey(3 + i), vrfSeed: sha256(utf8(`demo vrf ${a}`)) })),
  ];
  const refereed = { address: deployment.contracts.Refereed.address as Address, abi: loadArtifact("Refereed").abi as Abi };
  const chain = { id: deployment.chainId, name: "demo", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } };
  const wallet = createWalletClient({ account: requester, chain, transport: http(rpcUrl) });
  bar = progress({ label: "creating jobs", total: scenarios.length, plain: false }); // a few seconds: the terminal only
  for (const s of scenarios) {
    const key = vrfKeygen(s.vrfSeed);
    s.spec = makeJobSpec({ model: MODEL, datasetRoot: dsRoot, trainExamples: 8000, steps: s.steps, initSeed: sha256(utf8(`demo init ${s.name}`)), vrfKey: key.pk, seedScheme: "bls12-381" });
    const terms = {
      rollupSteps: s.rollupSteps,
      challengeWindow: ECON.window,
      trainerClock: ECON.trainerClock,
      challengerClock: ECON.challengerClock,
      submissionTimeout: ECON.submissionTimeout,
      trainerBond: parseEther(ECON.trainerBond),
      challengerBond: parseEther(ECON.challengerBond),
    };
    const hash = await wallet.writeContract({ ...refereed, functionName: "createJob", value: parseEther(ECON.reward), args: [jobParamsForSpec(s.spec, terms)] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const [ev] = parseEventLogs({ abi: refereed.abi, logs: receipt.logs, eventName: "JobCreated" }) as unknown as { args: { jobId: bigint } }[];
    s.jobId = ev!.args.jobId;
    s.dataDir = join(work, `trainer-${s.name}`);
    mkdirSync(s.dataDir, { recursive: true });
    writeFileSync(join(s.dataDir, "spec.json"), JSON.stringify(s.spec, null, 2));
    bar.tick(1, s.name);
  }
  bar.stop();
  say(`created ${scenarios.length} jobs (${scenarios.map((s) => `${s.jobId}:${s.name}`).join(", ")})`);

  // 3. bots, each its own process
  const chDir = join(work, "challenger");
  mkdirSync(chDir, { recursive: true });
  writeFileSync(
    join(chDir, "challenger.json"),
    JSON.stringify({ rpcUrl, deployment: deploymentFile, key: { privateKey: localDevKey(1) }, dataDir: chDir, audit: "full", confirmations: 1, pollIntervalMs: 500, tickMs: 500, logLevel: "info" }, null, 2),
  );
  startProcess("challenger", ["--import", "tsx", "packages/challenger/src/main.ts", "--config", join(chDir, "challenger.json")], join(work, "challenger.log"));
  say("challenger started (full audit of every rollup)");
  for (const s of scenarios) {
    const cfg = {
      rpcUrl,
      deployment: deploymentFile,
      key: { privateKey: s.trainerKey },
      vrf: { seed: toHex(s.vrfSeed) },
      spec: join(s.dataDir!, "spec.json"),
      jobId: String(s.jobId),
      attack: s.attack,
      attackStep: 1,
      dataDir: s.dataDir,
      traceServer: { host: "127.0.0.1", port: 0 },
      confirmations: 1,
      pollIntervalMs: 500,
      tickMs: 500,
      metricsPort: 0, // a free port, named in the log's ready line
      logLevel: "info",
    };
    writeFileSync(join(s.dataDir!, "trainer.json"), JSON.stringify(cfg, null, 2));
    s.logFile = join(work, `trainer-${s.name}.log`);
    startProcess(`trainer ${s.name}`, ["--import", "tsx", "packages/trainer/src/main.ts", "--config", join(s.dataDir!, "trainer.json")], s.logFile);
  }
  say(`${scenarios.length} trainers started (1 honest, ${ATTACKS.length} cheating)`);

  // 4. follow the chain until every job is settled
  const jobOf = new Map(scenarios.map((s) => [s.jobId!, s]));
  const gamesOf = new Map<bigint, Set<bigint>>();
  const txsOf = new Map<bigint, Set<Hex>>();
  const rollupsFinalized = new Map<bigint, number>();
  let from = BigInt(deployment.deployBlock);
  const done = () => scenarios.every((s) => settled.get(s.jobId!));
  const settled = new Map<bigint, string>();
  const deadline = Date.now() + TIMEOUT_S * 1000;
  const honest = scenarios[0]!;
  const watch = new FollowProgress(scenarios, honest, Math.ceil(HONEST_STEPS / honest.rollupSteps));
  bar = watch.start();
  while (!done() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1500));
    await followChain();
    await watch.readTrainers();
    bar = watch.show(bar, settled);
  }
  if (done()) bar.done(`${scenarios.length}/${scenarios.length} jobs settled`);
  else bar.stop();
  bar = null;
  if (!done()) say(`timed out after ${TIMEOUT_S} s with ${scenarios.filter((s) => !settled.get(s.jobId!)).map((s) => s.name).join(", ")} unsettled`);

  /** Reads the events since the last call, says what happened, and records what the report needs. */
  async function followChain(): Promise<void> {
    const latest = await publicClient.getBlock();
    watch.sawChainTime(Number(latest.timestamp));
    const head = latest.number;
    if (head < from) return;
    const logs = await publicClient.getLogs({ address: refereed.address, fromBlock: from, toBlock: head });
    from = head + 1n;
    for (const e of parseEventLogs({ abi: refereed.abi, logs }) as unknown as { eventName: string; args: Record<string, bigint | string>; transactionHash: Hex; blockNumber: bigint }[]) {
      const a = e.args;
      const job = (id: bigint) => jobOf.get(id >> 64n);
      if (e.eventName === "RollupSubmitted") {
        say(`${jobOf.get(a.jobId as bigint)?.name}: rollup ${a.index} submitted (steps ${a.firstStep}..${BigInt(a.firstStep as bigint) + BigInt(a.iterations as bigint) - 1n})`);
        if (a.jobId === honest.jobId) watch.submitted(Number(a.index), Number((await publicClient.getBlock({ blockNumber: e.blockNumber })).timestamp) + ECON.window);
      }
      if (e.eventName === "GameOpened") {
        const s = job(a.rollupId as bigint);
        if (s) {
          (gamesOf.get(s.jobId!) ?? gamesOf.set(s.jobId!, new Set()).get(s.jobId!)!).add(a.gameId as bigint);
          watch.gamesOpened++;
          say(`${s.name}: challenger opened game ${a.gameId} against rollup ${(a.rollupId as bigint) & 0xffffffffffffffffn}`);
        }
      }
      if ("gameId" in a) {
        for (const [jid, games] of gamesOf) if (games.has(a.gameId as bigint)) (txsOf.get(jid) ?? txsOf.set(jid, new Set()).get(jid)!).add(e.transactionHash);
      }
      if (e.eventName === "GameResolved") watch.gamesResolved++;
      if (e.eventName === "Stepped") say(`game ${a.gameId}: one-step adjudicated — trainer's value ${a.trainerValid ? "valid" : "INVALID"}`);
      if (e.eventName === "TimedOut") say(`game ${a.gameId}: ${Number(a.loser) === 0 ? "trainer" : "challenger"} ran out of time`);
      if (e.eventName === "RollupFinalized") {
        const s = job(a.rollupId as bigint)!;
        rollupsFinalized.set(s.jobId!, (rollupsFinalized.get(s.jobId!) ?? 0) + 1);
        if (s === honest) watch.finalized(Number((a.rollupId as bigint) & 0xffffffffffffffffn));
        say(`${s.name}: rollup ${(a.rollupId as bigint) & 0xffffffffffffffffn} finalized, trainer credited ${formatEther(a.share as bigint)} ETH`);
      }
      if (e.eventName === "RollupRejected") say(`${job(a.rollupId as bigint)?.name}: rollup ${(a.rollupId as bigint) & 0xffffffffffffffffn} REJECTED`);
      if (e.eventName === "JobCompleted") settled.set(a.jobId as bigint, "completed");
      if (e.eventName === "JobTerminated") settled.set(a.jobId as bigint, "dead");
    }
  }

  // 5. report
  const rows = [];
  for (const s of scenarios) {
    const st = (await publicClient.readContract({ ...refereed, functionName: "jobState", args: [s.jobId!] })) as readonly unknown[];
    const slashed = Boolean(st[5]);
    let gas = 0n;
    for (const h of txsOf.get(s.jobId!) ?? []) gas += (await publicClient.getTransactionReceipt({ hash: h })).gasUsed;
    rows.push({ name: s.name, attack: s.attack, caught: s.attack === "none" ? !slashed && settled.get(s.jobId!) === "completed" : slashed, trainerSlashed: slashed, transactions: txsOf.get(s.jobId!)?.size ?? 0, gas: Number(gas), bondsMoved: slashed ? BONDS_MOVED : "0" });
  }
  const acc = honestAccuracy(honest);
  const report = {
    scenarios: rows.filter((r) => r.attack !== "none").map(({ bondsMoved: _b, ...r }) => r),
    honest: { rollupsFinalized: rollupsFinalized.get(honest.jobId!) ?? 0, rollupsTotal: Math.ceil(HONEST_STEPS / honest.rollupSteps), completed: settled.get(honest.jobId!) === "completed", steps: HONEST_STEPS, testAccuracy: acc },
    seconds: Math.round((Date.now() - t0) / 1000),
  };
  writeFileSync(REPORT, JSON.stringify(report, null, 2) + "\n");
  console.log("\n" + table(rows.map((r) => ({ scenario: r.name, caught: r.attack === "none" ? (r.caught ? "n/a (finalized, paid)" : "NOT FINALIZED") : r.caught ? "yes" : "NO", "game txs": r.transactions, gas: r.gas.toLocaleString("en-US"), "bonds moved": r.bondsMoved, "test accuracy": r.attack === "none" && acc !== null ? `${(acc * 100).toFixed(2)}%` : "" }))));
  console.log(`\nhonest: ${report.honest.rollupsFinalized}/${report.honest.rollupsTotal} rollups finalized over ${HONEST_STEPS} steps; report written to ${REPORT} (${report.seconds} s)`);
  const ok = report.honest.completed && report.scenarios.every((r) => r.caught);
  stopAll();
  if (!process.env.DEMO_KEEP && ok) rmSync(work, { recursive: true, force: true });
  else console.log(`work directory kept: ${work}`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: unknown) => {
  bar?.stop();
  console.error(`demo failed: ${(e as Error).stack ?? String(e)}`);
  stopAll();
  process.exitCode = 1;
});
