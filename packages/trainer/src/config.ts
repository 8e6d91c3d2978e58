/**
 * The trainer's configuration: the runtime type `TrainerConfig` (what `runTrainer` takes; the CLI and the demo build
 * it directly) and `loadTrainerConfig` for a JSON config file (what `main.ts` reads).
 *
 * JSON config file (paths relative to the file):
 * ```json
 * {
 *   "rpcUrl": "http://127.0.0.1:8545",
 *   "deployment": "../deployments/localhost.json",          // or a network name: "localhost"
 *   "key": { "env": "REFEREED_PRIVATE_KEY" },               // or { "keystore": "k.json", "passwordEnv": "PW" }
 *   "vrf": { "seedEnv": "REFEREED_VRF_SEED" },              // or { "seed": "0x…32 bytes" } or { "file": "vrf.json" }
 *   "spec": "job-spec.json",                                // the engine JobSpec (spec.vrfKey = this key's pk)
 *   "jobId": "1",                                           // optional: else the first open job with the spec's hash
 *   "attack": "none",                                       // or an engine adversary (tests, demo)
 *   "attackStep": 1,
 *   "dataDir": "state/trainer",                             // store (trainer.db) and traces (traces/)
 *   "traceServer": { "host": "127.0.0.1", "port": 8601, "publicBaseUrl": "https://traces.example.org" },
 *   "confirmations": 2, "pollIntervalMs": 1000, "tickMs": 1000, "metricsPort": 9465, "logLevel": "info"
 * }
 * ```
 */
import { join } from "node:path";
import { fromHex, type Hex } from "@refereed/core";
import { ADVERSARIES, type AdversaryKind, type Dataset, type JobSpec } from "@refereed/engine";
import {
  BotConfigError,
  optInt,
  parseCommon,
  readJsonFile,
  relTo,
  resolveAccount,
  resolveDeployment,
  str,
  type ChainConfig,
  type CommonFileConfig,
  type Obj,
} from "./shared/config.js";

export type AttackOption = "none" | AdversaryKind;

export interface TraceServerConfig {
  /** default 127.0.0.1 */
  readonly host?: string;
  /** default 0 (a free port). Use a fixed port in production: trace URIs on chain name it, and must survive restarts. */
  readonly port?: number;
  /** base URL published in trace URIs instead of the server's own (e.g. behind a TLS reverse proxy) */
  readonly publicBaseUrl?: string;
}

export interface TrainerConfig extends ChainConfig {
  /** 32-byte seed of the trainer's BLS12-381 VRF key (`vrfKeygen(seed)`); its pk must be the spec's `vrfKey` */
  readonly vrfSeed: Uint8Array;
  /** the job spec to train (engine JobSpec) */
  readonly spec: JobSpec;
  /** the job to accept; default: the first open job whose spec hash is the spec's */
  readonly jobId?: bigint;
  /** cheat with an engine adversary (tests and the demo); default "none" */
  readonly attack?: AttackOption;
  /** the step the adversary acts at; default 1 */
  readonly attackStep?: number;
  /** state directory: the store (`trainer.db`) and the traces (`traces/`) unless given separately */
  readonly dataDir: string;
  readonly storePath?: string;
  readonly traceDir?: string;
  readonly traceServer?: TraceServerConfig;
  /** the training set; default the job's MNIST prefix (checked against the spec's dataset root) */
  readonly dataset?: Dataset;
  /** withdraw credits as soon as there are some; default true */
  readonly autoWithdraw?: boolean;
  /**
   * On a dev chain that mines only on transactions, send a no-op transaction when the protocol needs a new block
   * (a window passed in real time, a key older than the acceptance block). Default: on chain ids 31337 and 1337 only.
   */
  readonly devChainNudge?: boolean;
  /** Prometheus metric name prefix; default refereed_trainer */
  readonly metricsPrefix?: string;
}

export const trainerStorePath = (c: TrainerConfig): string => c.storePath ?? join(c.dataDir, "trainer.db");
export const trainerTraceDir = (c: TrainerConfig): string => c.traceDir ?? join(c.dataDir, "traces");

/** What `main.ts` needs beyond the daemon's config. */
export interface TrainerFileConfig extends CommonFileConfig {
  readonly file: string;
}

function parseVrfSeed(v: unknown, file: string | undefined, env: Readonly<Record<string, string | undefined>>): Uint8Array {
  if (v === null || typeof v !== "object") throw new BotConfigError("vrf", 'expected {"seed": "0x…"}, {"seedEnv": "NAME"} or {"file": "path"}', file);
  const o = v as Obj;
  let hex: string | undefined;
  let where = "vrf.seed";
  if (typeof o.seed === "string") hex = o.seed;
  else if (typeof o.seedEnv === "string") {
    where = `$${o.seedEnv}`;
    hex = env[o.seedEnv];
    if (!hex) throw new BotConfigError("vrf.seedEnv", `environment variable ${o.seedEnv} is not set`, file);
  } else if (typeof o.file === "string") {
    const f = readJsonFile(relTo(file, o.file), "vrf.file");
    where = `${o.file}: seed`;
    if (typeof f.seed !== "string") throw new BotConfigError("vrf.file", `${o.file} must hold {"seed": "0x…32 bytes"}`, file);
    hex = f.seed;
  } else throw new BotConfigError("vrf", 'expected {"seed": "0x…"}, {"seedEnv": "NAME"} or {"file": "path"}', file);
  try {
    return fromHex(hex as Hex, 32, where);
  } catch (err) {
    throw new BotConfigError(where, `must be 32 bytes of hex: ${(err as Error).message}`, file);
  }
}

export function parseAttack(v: unknown, file?: string): AttackOption {
  if (v === undefined || v === "none") return "none";
  if (typeof v === "string" && (ADVERSARIES as readonly string[]).includes(v)) return v as AdversaryKind;
  throw new BotConfigError("attack", `expected "none" or one of ${ADVERSARIES.join(", ")}, got ${JSON.stringify(v)}`, file);
}

/** Reads and validates a JSON config file into a TrainerConfig (the key is loaded, the spec read). */
export async function loadTrainerConfig(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ config: TrainerConfig; file: TrainerFileConfig }> {
  const o = readJsonFile(file);
  const common = parseCommon(o, file);
  const specV = o.spec;
  let spec: JobSpec;
  if (typeof specV === "string") spec = readJsonFile(relTo(file, specV), "spec") as unknown as JobSpec;
  else if (specV && typeof specV === "object") spec = specV as JobSpec;
  else throw new BotConfigError("spec", "expected a job spec file path or the spec object", file);
  if (spec.version !== 1 || !spec.model || typeof spec.vrfKey !== "string") throw new BotConfigError("spec", "not an engine JobSpec (version 1 with model and vrfKey)", file);
  let jobId: bigint | undefined;
  if (o.jobId !== undefined) {
    if (!(typeof o.jobId === "string" || typeof o.jobId === "number") || !/^\d+$/.test(String(o.jobId))) throw new BotConfigError("jobId", `expected a decimal job id, got ${JSON.stringify(o.jobId)}`, file);
    jobId = BigInt(o.jobId);
  }
  const ts = o.traceServer as Obj | undefined;
  if (ts !== undefined && (ts === null || typeof ts !== "object")) throw new BotConfigError("traceServer", "expected {host, port, publicBaseUrl}", file);
  const config: TrainerConfig = {
    rpcUrl: common.rpcUrl,
    deployment: resolveDeployment(common.deployment, file),
    account: await resolveAccount(common.key, file),
    confirmations: common.confirmations,
    pollIntervalMs: common.pollIntervalMs,
    tickMs: common.tickMs,
    txTimeoutMs: common.txTimeoutMs,
    vrfSeed: parseVrfSeed(o.vrf, file, env),
    spec,
    jobId,
    attack: parseAttack(o.attack, file),
    attackStep: optInt(o, "attackStep", file, 0),
    dataDir: relTo(file, str(o, "dataDir", file, "state/trainer")),
    traceServer: ts
      ? {
          host: ts.host === undefined ? undefined : str(ts, "host", file),
          port: optInt(ts, "port", file, 0),
          publicBaseUrl: ts.publicBaseUrl === undefined ? undefined : str(ts, "publicBaseUrl", file),
        }
      : undefined,
    autoWithdraw: o.autoWithdraw === undefined ? undefined : o.autoWithdraw === true,
  };
  return { config, file: { ...common, file } };
}
