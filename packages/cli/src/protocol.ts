/**
 * Protocol commands of the `refereed` CLI: chain, deploy, job spec, job create, status.
 * Every command names the bad argument on a usage error (exit 2); chain errors exit 1 with the reason.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, createWalletClient, formatEther, http, parseEther, parseEventLogs, type Abi, type Account, type Address, type Hex } from "viem";
import { deployProtocol, loadArtifact, progress, readDeployment, repoRoot, type Deployment } from "@refereed/client";
import { fromHex } from "@refereed/core";
import { datasetRoot, loadMnist, makeJobSpec, onchainJobFields, type JobSpec } from "@refereed/engine";
import { jobParamsForSpec, type JobTerms } from "@refereed/trainer/shared";
import { UsageError } from "./errors.js";
import { checkChainId, resolveAccount, resolveRpc } from "./network.js";

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

type Values = Record<string, string | boolean | undefined>;

function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>["options"], help: string): Values {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }).values as Values;
  } catch (e) {
    const m = /'(--[a-z-]+)'/.exec((e as Error).message);
    throw new UsageError(m?.[1], (e as Error).message.replace(/\. To specify a positional.*$/s, ""), help);
  }
}

function str(v: Values, name: string, help: string, fallback?: string): string {
  const x = v[name];
  if (typeof x === "string" && x.length > 0) return x;
  if (fallback !== undefined) return fallback;
  throw new UsageError(`--${name}`, `missing --${name}`, help);
}

function int(v: Values, name: string, help: string, fallback?: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = str(v, name, help, fallback === undefined ? undefined : String(fallback));
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
    throw new UsageError(`--${name}`, `--${name} must be an integer >= ${min}, got '${raw}'`, help);
  }
  if (Number(raw) > max) throw new UsageError(`--${name}`, `--${name} must be at most ${max}, got '${raw}'`, help);
  return Number(raw);
}

/** Caps of Refereed.createJob: a rollup's length fits a game Position (48 bits), a clock budget a Clock (40 bits). */
const MAX_ROLLUP_STEPS = 2 ** 48 - 1;
const MAX_CLOCK = 2 ** 40 - 1;

function ether(v: Values, name: string, help: string, fallback: string): bigint {
  const raw = str(v, name, help, fallback);
  try {
    const wei = parseEther(raw);
    if (wei <= 0n) throw new Error("not positive");
    return wei;
  } catch {
    throw new UsageError(`--${name}`, `--${name} must be a positive amount of ether, got '${raw}'`, help);
  }
}

function rate(raw: string, name: string, help: string): { num: number; den: number } {
  const m = /^(\d+)\/(\d+)$/.exec(raw);
  if (!m || Number(m[1]) >= Number(m[2]) || Number(m[2]) >= 2 ** 32) {
    throw new UsageError(`--${name}`, `--${name} must be num/den with 0 <= num < den < 2^32, got '${raw}'`, help);
  }
  return { num: Number(m[1]), den: Number(m[2]) };
}

// ─────────────────────────────────────────────────────────────────── chain

const HELP_CHAIN = `usage: refereed chain [--port 8545] [--hostname 127.0.0.1]

Starts a local JSON-RPC chain (Hardhat's EDR, hardfork osaka: EIP-2537 precompiles) on the loopback interface
and keeps it running until interrupted. Development accounts are funded and listed on start.`;

export async function cmdChain(args: string[], io: Io): Promise<number> {
  const v = parse(args, { port: { type: "string" }, hostname: { type: "string" } }, HELP_CHAIN);
  if (v.help) return io.out(HELP_CHAIN), 0;
  const port = int(v, "port", HELP_CHAIN, 8545, 1);
  const hostname = str(v, "hostname", HELP_CHAIN, "127.0.0.1");
  // run Hardhat's CLI on this very Node (>= 22), whatever `node` the PATH would find
  const hardhat = realpathSync(join(repoRoot, "node_modules/.bin/hardhat"));
  const child = spawn(process.execPath, [hardhat, "node", "--hostname", hostname, "--port", String(port)], { cwd: repoRoot, stdio: "inherit" });
  const stop = () => child.kill("SIGTERM");
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return await new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
}

// ─────────────────────────────────────────────────────────────────── deploy

const HELP_DEPLOY = `usage: refereed deploy [--network localhost|sepolia|hoodi|<name>] [--rpc <url>] [--keystore <file>]

Deploys TrainerKeys, OneStepVerifier and Refereed and writes deployments/<network>.json (chain id, addresses,
deploy block, transaction hashes). Re-running does not redeploy what is already on the chain.
RPC URL: --rpc, else SEPOLIA_RPC_URL / HOODI_RPC_URL, else http://127.0.0.1:8545 for localhost.
Key: --keystore (password in REFEREED_KEYSTORE_PASSWORD) or REFEREED_PRIVATE_KEY; on localhost only, a
development account when neither is set.`;

export async function cmdDeploy(args: string[], io: Io): Promise<number> {
  const v = parse(args, { network: { type: "string" }, rpc: { type: "string" }, keystore: { type: "string" } }, HELP_DEPLOY);
  if (v.help) return io.out(HELP_DEPLOY), 0;
  const network = str(v, "network", HELP_DEPLOY, "localhost");
  const rpcUrl = resolveRpc(network, v.rpc as string | undefined);
  const account = await resolveAccount(network, v.keystore as string | undefined);
  const chainId = await createPublicClient({ transport: http(rpcUrl, { retryCount: 1, timeout: 10_000 }) }).getChainId();
  checkChainId(network, chainId);
  // each log line is one contract done (deployed, or found on the chain); the bar shows the wait for receipts
  const bar = progress({ label: "deploying", total: 3, plain: false });
  const { deployment, deployed } = await deployProtocol({ network, rpcUrl, account, log: (l) => (bar.interrupt(() => io.out(l)), bar.tick()) }).finally(() => bar.stop());
  io.out(`${deployed.length ? `deployed ${deployed.join(", ")}` : "nothing to deploy"}: deployments/${network}.json (chain ${deployment.chainId}, deploy block ${deployment.deployBlock})`);
  return 0;
}

// ─────────────────────────────────────────────────────────────────── job spec / create

const HELP_JOB = `usage: refereed job <spec|create|abandon> [options]

  refereed job spec --vrf-key <hex> --out <file> [--sizes 784,128,64,10] [--batch 64] [--dropout 1/10]
                    [--lr 0.1] [--momentum 0.8] [--steps 375] [--train-examples 8000] [--init-seed <hex>]
      writes a job spec (canonical JSON, the MNIST MLP with dropout after every hidden layer) directed at the
      trainer's BLS VRF public key (256-byte EIP-2537 G2, from 'refereed vrf keygen')

  refereed job create --spec <file> [--network localhost] [--rpc <url>] [--keystore <file>]
                      [--reward 1] [--trainer-bond 0.5] [--challenger-bond 0.1] [--rollup-steps 25]
                      [--window 600] [--trainer-clock 600] [--challenger-clock 600] [--submission-timeout 3600]
      creates the job on-chain and escrows the reward (amounts in ether, times in seconds; the trainer must submit
      each rollup within --submission-timeout of acceptance or of its previous rollup)

  refereed job abandon --job <id> [--network localhost] [--rpc <url>] [--keystore <file>]
      ends a job whose trainer missed its submission deadline: the requester is credited the unearned reward and
      the trainer's bond (anyone may send it; refused with SubmissionNotLate before the deadline)`;

export async function cmdJob(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "spec") return cmdJobSpec(rest, io);
  if (sub === "create") return cmdJobCreate(rest, io);
  if (sub === "abandon") return cmdJobAbandon(rest, io);
  if (sub === undefined || sub === "--help" || sub === "-h") {
    io.out(HELP_JOB);
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(undefined, `unknown job subcommand '${sub}' (expected spec, create or abandon)`, HELP_JOB);
}

async function cmdJobSpec(args: string[], io: Io): Promise<number> {
  const v = parse(
    args,
    {
      "vrf-key": { type: "string" },
      out: { type: "string" },
      sizes: { type: "string" },
      batch: { type: "string" },
      dropout: { type: "string" },
      lr: { type: "string" },
      momentum: { type: "string" },
      steps: { type: "string" },
      "train-examples": { type: "string" },
      "init-seed": { type: "string" },
    },
    HELP_JOB,
  );
  if (v.help) return io.out(HELP_JOB), 0;
  const vrfKeyHex = str(v, "vrf-key", HELP_JOB);
  let vrfKey: Uint8Array;
  try {
    vrfKey = fromHex(vrfKeyHex, 256, "--vrf-key");
  } catch (e) {
    throw new UsageError("--vrf-key", `--vrf-key must be a 256-byte G2 public key in hex: ${(e as Error).message}`, HELP_JOB);
  }
  const out = str(v, "out", HELP_JOB);
  const sizes = str(v, "sizes", HELP_JOB, "784,128,64,10").split(",").map(Number);
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1) || sizes[0] !== 784) {
    throw new UsageError("--sizes", `--sizes must be comma-separated positive widths starting with 784 (MNIST), got '${String(v.sizes)}'`, HELP_JOB);
  }
  const dropout = rate(str(v, "dropout", HELP_JOB, "1/10"), "dropout", HELP_JOB);
  const lr = Number(str(v, "lr", HELP_JOB, "0.1"));
  const momentum = Number(str(v, "momentum", HELP_JOB, "0.8"));
  if (!(lr > 0)) throw new UsageError("--lr", `--lr must be a positive number, got '${String(v.lr)}'`, HELP_JOB);
  if (!(momentum >= 0 && momentum < 1)) throw new UsageError("--momentum", `--momentum must be in [0, 1), got '${String(v.momentum)}'`, HELP_JOB);
  const trainExamples = int(v, "train-examples", HELP_JOB, 8000, 1);
  const steps = int(v, "steps", HELP_JOB, 375, 1);
  const batch = int(v, "batch", HELP_JOB, 64, 1);
  const initSeed = v["init-seed"] ? fromHex(v["init-seed"] as string, 32, "--init-seed") : crypto.getRandomValues(new Uint8Array(32));
  const { train } = loadMnist(trainExamples);
  const spec = makeJobSpec({
    model: { sizes, batch, dropout: sizes.slice(2).map(() => dropout), lr, momentum },
    datasetRoot: datasetRoot(train),
    trainExamples,
    steps,
    initSeed,
    vrfKey,
    seedScheme: "bls12-381",
  });
  writeFileSync(out, JSON.stringify(spec, null, 2) + "\n");
  const f = onchainJobFields(spec);
  io.out(`wrote ${out}: spec hash ${f.specHash}, ${f.nodeCount} nodes, ${f.dropoutLayers} dropout layers, ${f.stepsTotal} steps`);
  return 0;
}

export function readSpec(path: string, help = HELP_JOB): JobSpec {
  if (!existsSync(path)) throw new UsageError("--spec", `--spec: no such file '${path}'`, help);
  let spec: JobSpec;
  try {
    spec = JSON.parse(readFileSync(path, "utf8")) as JobSpec;
  } catch (e) {
    throw new UsageError("--spec", `--spec: '${path}' is not JSON: ${(e as Error).message}`, help);
  }
  try {
    onchainJobFields(spec);
  } catch (e) {
    throw new UsageError("--spec", `--spec: malformed job spec: ${(e as Error).message}`, help);
  }
  return spec;
}

export interface Connection {
  readonly deployment: Deployment;
  readonly rpcUrl: string;
  readonly refereed: { address: Address; abi: Abi };
  readonly publicClient: ReturnType<typeof createPublicClient>;
}

export async function connect(network: string, rpc: string | undefined): Promise<Connection> {
  const deployment = readDeployment(network);
  if (!deployment) throw new UsageError("--network", `no deployment for '${network}': run 'refereed deploy --network ${network}' first`);
  const rpcUrl = resolveRpc(network, rpc);
  const publicClient = createPublicClient({ transport: http(rpcUrl, { retryCount: 2, timeout: 15_000 }) });
  const chainId = await publicClient.getChainId();
  if (chainId !== deployment.chainId) {
    throw new UsageError("--network", `wrong network: deployments/${network}.json is chain ${deployment.chainId}, the RPC endpoint serves chain ${chainId}`);
  }
  return { deployment, rpcUrl, publicClient, refereed: { address: deployment.contracts.Refereed.address, abi: loadArtifact("Refereed").abi } };
}

async function cmdJobCreate(args: string[], io: Io): Promise<number> {
  const v = parse(
    args,
    {
      spec: { type: "string" },
      network: { type: "string" },
      rpc: { type: "string" },
      keystore: { type: "string" },
      reward: { type: "string" },
      "trainer-bond": { type: "string" },
      "challenger-bond": { type: "string" },
      "rollup-steps": { type: "string" },
      window: { type: "string" },
      "trainer-clock": { type: "string" },
      "challenger-clock": { type: "string" },
      "submission-timeout": { type: "string" },
    },
    HELP_JOB,
  );
  if (v.help) return io.out(HELP_JOB), 0;
  const spec = readSpec(str(v, "spec", HELP_JOB));
  const network = str(v, "network", HELP_JOB, "localhost");
  // the terms are checked before the chain is asked anything: a bad argument is a usage error (exit 2) on any network
  const terms: JobTerms = {
    rollupSteps: int(v, "rollup-steps", HELP_JOB, 25, 1, MAX_ROLLUP_STEPS),
    challengeWindow: int(v, "window", HELP_JOB, 600, 1),
    trainerClock: int(v, "trainer-clock", HELP_JOB, 600, 1, MAX_CLOCK),
    challengerClock: int(v, "challenger-clock", HELP_JOB, 600, 1, MAX_CLOCK),
    submissionTimeout: int(v, "submission-timeout", HELP_JOB, 3_600, 1),
    trainerBond: ether(v, "trainer-bond", HELP_JOB, "0.5"),
    challengerBond: ether(v, "challenger-bond", HELP_JOB, "0.1"),
    toleranceProfile: 0, // SPEC §6 v1 (the only profile the verifier adjudicates)
  };
  const reward = ether(v, "reward", HELP_JOB, "1");
  const conn = await connect(network, v.rpc as string | undefined);
  const account = await resolveAccount(network, v.keystore as string | undefined);
  const params = jobParamsForSpec(spec, terms);
  const { hash, receipt } = await sendRefereed(conn, network, account, "creating the job", "createJob", [params], reward);
  const [ev] = parseEventLogs({ abi: conn.refereed.abi, logs: receipt.logs, eventName: "JobCreated" }) as unknown as { args: { jobId: bigint } }[];
  io.out(`job ${ev?.args.jobId} created (tx ${hash}): reward ${formatEther(reward)} ETH escrowed, spec ${params.specHash}`);
  return 0;
}

/**
 * The commands that send one Refereed call on one id (`--<idFlag> <id>`, from 1) with the options
 * `--network`, `--rpc`, `--keystore`: parses them (null on --help, after printing `help`), connects and loads the
 * signing account.
 */
async function idCommand(args: string[], io: Io, help: string, idFlag: string) {
  const v = parse(args, { [idFlag]: { type: "string" }, network: { type: "string" }, rpc: { type: "string" }, keystore: { type: "string" } }, help);
  if (v.help) return io.out(help), null;
  const id = BigInt(int(v, idFlag, help, undefined, 1));
  const network = str(v, "network", help, "localhost");
  const conn = await connect(network, v.rpc as string | undefined);
  const account = await resolveAccount(network, v.keystore as string | undefined);
  return { id, network, conn, account };
}

/** `job abandon`: ends a job whose trainer missed its submission deadline (docs/GAME.md §2.1; anyone may call). */
async function cmdJobAbandon(args: string[], io: Io): Promise<number> {
  const c = await idCommand(args, io, HELP_JOB, "job");
  if (!c) return 0;
  const { id: jobId, network, conn, account } = c;
  const { hash, receipt } = await sendRefereed(conn, network, account, `abandoning job ${jobId}`, "abandonJob", [jobId]);
  const credited = (parseEventLogs({ abi: conn.refereed.abi, logs: receipt.logs, eventName: "Credited" }) as unknown as { args: { amount: bigint } }[]).reduce((a, e) => a + e.args.amount, 0n);
  io.out(`job ${jobId} abandoned (tx ${hash}): the requester was credited ${formatEther(credited)} ETH (unearned reward + the trainer's bond), paid to it by Refereed.withdraw()`);
  return 0;
}

// ─────────────────────────────────────────────────────────────────── game resolve / timeout

const HELP_GAME = `usage: refereed game <resolve|timeout> --game <id> [--network localhost] [--rpc <url>] [--keystore <file>]

  refereed game timeout --game <id>
      decides a game whose side to move ran out of time: the other side wins (anyone may send it; refused with
      ClockNotExpired while the side to move has time left)
  refereed game resolve --game <id>
      settles a decided game (docs/GAME.md §5.1): its bonds, and the rollup's rejection when the challenger won;
      the rollup cannot finalize before (anyone may send it, once; GameNotDecided while the game is played)

The bots send both for the games they win; these commands are for a party without a bot.`;

const OUTCOME = ["", "", "the challenger won", "the trainer won"];

export async function cmdGame(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    io.out(HELP_GAME);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "resolve" && sub !== "timeout") throw new UsageError(undefined, `unknown game subcommand '${sub}' (expected resolve or timeout)`, HELP_GAME);
  const c = await idCommand(rest, io, HELP_GAME, "game");
  if (!c) return 0;
  const { id: gameId, network, conn, account } = c;
  const verb = sub === "resolve" ? "resolving" : "claiming the timeout of";
  const { hash, receipt } = await sendRefereed(conn, network, account, `${verb} game ${gameId}`, sub, [gameId]);
  const logs = parseEventLogs({ abi: conn.refereed.abi, logs: receipt.logs }) as unknown as { eventName: string; args: Record<string, unknown> }[];
  const outcome = logs.find((l) => l.eventName === (sub === "resolve" ? "GameResolved" : "GameDecided"));
  const what = OUTCOME[Number(outcome?.args.outcome ?? 0)] ?? "decided";
  if (sub === "timeout") {
    io.out(`game ${gameId} timed out (tx ${hash}): ${what}; 'refereed game resolve --game ${gameId}' settles it`);
    return 0;
  }
  const credited = logs.filter((l) => l.eventName === "Credited").map((l) => `${short(String(l.args.account))} ${formatEther(l.args.amount as bigint)} ETH`);
  const rejected = logs.some((l) => l.eventName === "RollupRejected");
  io.out(`game ${gameId} resolved (tx ${hash}): ${what}${rejected ? "; its rollup and the job's later rollups are rejected" : ""}; credited: ${credited.join(", ") || "none"} (paid by Refereed.withdraw())`);
  return 0;
}

/** Simulates (so a revert names its custom error before anything is sent), sends and waits for one Refereed call. */
async function sendRefereed(conn: Awaited<ReturnType<typeof connect>>, network: string, account: Account, label: string, functionName: string, args: readonly unknown[], value?: bigint) {
  const wallet = createWalletClient({ account, transport: http(conn.rpcUrl) });
  const chain = { id: conn.deployment.chainId, name: network, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [conn.rpcUrl] } } };
  const wait = progress({ label, plain: false, refreshMs: 250 });
  try {
    const { request } = await conn.publicClient.simulateContract({ ...conn.refereed, functionName, args, value, account, chain } as Parameters<typeof conn.publicClient.simulateContract>[0]);
    const hash = await wallet.writeContract(request as Parameters<typeof wallet.writeContract>[0]);
    wait.update(0, `waiting for the receipt of ${hash}`);
    const receipt = await conn.publicClient.waitForTransactionReceipt({ hash });
    return { hash, receipt };
  } finally {
    wait.stop();
  }
}

// ─────────────────────────────────────────────────────────────────── status

const HELP_STATUS = `usage: refereed status [--network localhost] [--rpc <url>]

Prints jobs, rollups, games (with clocks) and credits of the deployment as tables.`;

const JOB_STATUS = ["None", "Open", "Active", "Completed", "Dead", "Cancelled"];
const ROLLUP_STATUS = ["None", "Pending", "Finalized", "Rejected"];
const GAME_STATUS = ["None", "InProgress", "ChallengerWon", "TrainerWon"];

interface Ev {
  eventName: string;
  args: Record<string, unknown>;
}

export async function cmdStatus(args: string[], io: Io): Promise<number> {
  const v = parse(args, { network: { type: "string" }, rpc: { type: "string" } }, HELP_STATUS);
  if (v.help) return io.out(HELP_STATUS), 0;
  const network = str(v, "network", HELP_STATUS, "localhost");
  const conn = await connect(network, v.rpc as string | undefined);
  const logs = await conn.publicClient.getLogs({ address: conn.refereed.address, fromBlock: BigInt(conn.deployment.deployBlock), toBlock: "latest" });
  const events = parseEventLogs({ abi: conn.refereed.abi, logs }) as unknown as Ev[];
  const read = (functionName: string, args: unknown[]) => conn.publicClient.readContract({ ...conn.refereed, functionName, args });
  const accounts = new Set<string>();
  const jobs: Record<string, unknown>[] = [];
  const rollups: Record<string, unknown>[] = [];
  const games: Record<string, unknown>[] = [];
  /** Adds the rows of one event (reading its current state from the contract). */
  async function addRows(e: Ev): Promise<void> {
    if (e.eventName === "JobCreated") {
      const id = e.args.jobId as bigint;
      const st = (await read("jobState", [id])) as readonly unknown[];
      accounts.add(String(e.args.requester));
      jobs.push({ job: String(id), requester: short(String(e.args.requester)), reward: `${formatEther(e.args.reward as bigint)} ETH`, status: JOB_STATUS[Number(st[0])] ?? String(st[0]) });
    } else if (e.eventName === "JobAccepted") {
      accounts.add(String(e.args.trainer));
    } else if (e.eventName === "RollupSubmitted") {
      const id = e.args.rollupId as bigint;
      const s = Number(await read("rollupStatus", [id]));
      rollups.push({ rollup: `${id >> 64n}/${id & 0xffffffffffffffffn}`, steps: `${e.args.firstStep}..+${e.args.iterations}`, root: short(String(e.args.rollupRoot)), status: ROLLUP_STATUS[s] ?? String(s) });
    } else if (e.eventName === "GameOpened") {
      const id = e.args.gameId as bigint;
      accounts.add(String(e.args.challenger));
      const g = (await read("getGame", [id])) as { status: number; clock: bigint; resolved: boolean };
      const side = g.status === 1 ? ["trainer", "challenger"][Number(await read("sideToMove", [id]))] : "-";
      // a decided game settles its bonds and rollup at `resolve` (ADR 0010)
      const status = `${GAME_STATUS[g.status] ?? String(g.status)}${g.status > 1 && !g.resolved ? " (awaiting resolve)" : ""}`;
      games.push({ game: String(id), rollup: `${(e.args.rollupId as bigint) >> 64n}/${(e.args.rollupId as bigint) & 0xffffffffffffffffn}`, challenger: short(String(e.args.challenger)), status, toMove: side });
    }
  }
  // one to three reads per event: on a long-lived deployment that is a wait worth showing (terminal only)
  const bar = progress({ label: "reading the deployment's events", total: events.length, plain: false });
  try {
    for (const e of events) {
      await addRows(e);
      bar.tick();
    }
  } finally {
    bar.stop();
  }
  const credits = await Promise.all([...accounts].map(async (a) => ({ account: short(a), credit: `${formatEther((await read("credits", [a])) as bigint)} ETH`, balance: `${formatEther(await conn.publicClient.getBalance({ address: a as Address }))} ETH` })));
  io.out(`deployment ${network} (chain ${conn.deployment.chainId}) Refereed ${conn.refereed.address}`);
  for (const [title, rows] of [["jobs", jobs], ["rollups", rollups], ["games", games], ["accounts", credits]] as const) {
    io.out(`\n${title}`);
    io.out(rows.length ? table(rows) : "  (none)");
  }
  return 0;
}

function short(a: string): string {
  return a.length > 14 ? `${a.slice(0, 8)}…${a.slice(-4)}` : a;
}

export function table(rows: readonly Record<string, unknown>[]): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (r: Record<string, unknown>, c: string) => String(r[c] ?? "");
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const line = (vals: string[]) => "  " + vals.map((x, i) => x.padEnd(w[i]!)).join("  ");
  return [line(cols), line(w.map((n) => "-".repeat(n))), ...rows.map((r) => line(cols.map((c) => cell(r, c))))].join("\n");
}

export type { Hex };

// ─────────────────────────────────────────────────────────────────── bots and demo

const HELP_BOT = (bot: "trainer" | "challenger") => `usage: refereed ${bot} run --config <${bot}.json> [--metrics-port <port>] [--log-level info|debug]

Runs the ${bot} daemon in the foreground until interrupted (SIGINT/SIGTERM stop it gracefully; kill -9 is safe:
it resumes from its data directory). The JSON config is documented in packages/${bot}/README.md and docs/DEPLOY.md.`;

/** `refereed trainer run` / `refereed challenger run`: the bot's own process entry, in the foreground. */
export async function cmdBot(bot: "trainer" | "challenger", args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h" || sub === undefined) {
    io.out(HELP_BOT(bot));
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "run") throw new UsageError(undefined, `unknown ${bot} subcommand '${sub}' (expected run)`, HELP_BOT(bot));
  const v = parse(rest, { config: { type: "string" }, "metrics-port": { type: "string" }, "log-level": { type: "string" } }, HELP_BOT(bot));
  if (v.help) return io.out(HELP_BOT(bot)), 0;
  const config = str(v, "config", HELP_BOT(bot));
  if (!existsSync(config)) throw new UsageError("--config", `--config: no such file '${config}'`, HELP_BOT(bot));
  return runChild([join(repoRoot, `packages/${bot}/src/main.ts`), ...rest]);
}

const HELP_DEMO = `usage: refereed demo

The one-command demo (same as 'npm run demo'): a local chain, the contracts, an honest job and one job per attack,
a challenger and the trainers as separate processes; ends with a table and demo-report.json.`;

export async function cmdDemo(args: string[], io: Io): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) return io.out(HELP_DEMO), 0;
  if (args.length) throw new UsageError(args[0], `demo takes no arguments (got '${args[0]}'); see DEMO_* variables in scripts/demo.ts`, HELP_DEMO);
  return runChild([join(repoRoot, "scripts/demo.ts")]);
}

function runChild(argv: string[]): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", ...argv], { cwd: process.cwd(), stdio: "inherit" });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  process.on("SIGINT", forward("SIGINT"));
  process.on("SIGTERM", forward("SIGTERM"));
  return new Promise((res) => child.on("exit", (code, signal) => res(code ?? (signal ? 1 : 0))));
}
