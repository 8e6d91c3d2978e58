/**
 * The challenger's configuration: the runtime type `ChallengerConfig` (what `runChallenger` takes; the CLI and the
 * demo build it directly) and `loadChallengerConfig` for a JSON config file (what `main.ts` reads).
 *
 * JSON config file (paths relative to the file):
 * ```json
 * {
 *   "rpcUrl": "http://127.0.0.1:8545",
 *   "deployment": "../deployments/localhost.json",      // or a network name: "localhost"
 *   "key": { "env": "REFEREED_PRIVATE_KEY" },           // or { "keystore": "k.json", "passwordEnv": "PW" }
 *   "dataDir": "state/challenger-1",                    // store (challenger.db) and verified trace copies (traces/)
 *   "audit": "full",                                    // or "sampled" with "sampleFraction": 0.25
 *   "jobIds": ["1"],                                    // optional: only these jobs
 *   "openMarginSeconds": 12,                            // do not open within this many seconds of the window's end
 *   "confirmations": 2, "pollIntervalMs": 1000, "tickMs": 1000, "metricsPort": 9466, "logLevel": "info"
 * }
 * ```
 */
import { join } from "node:path";
import type { Dataset } from "@refereed/engine";
import type { TraceClientOptions } from "@refereed/trace";
import {
  BotConfigError,
  optInt,
  optNum,
  parseCommon,
  readJsonFile,
  relTo,
  resolveAccount,
  resolveDeployment,
  str,
  type ChainConfig,
  type CommonFileConfig,
} from "@refereed/trainer";

export interface ChallengerConfig extends ChainConfig {
  /** state directory: the store (`challenger.db`) and verified trace copies (`traces/`) unless given separately */
  readonly dataDir: string;
  readonly storePath?: string;
  readonly workDir?: string;
  /** "full" (every iteration, the default) or "sampled" (a fraction of the iterations, chosen with a secret) */
  readonly auditMode?: "full" | "sampled";
  /** fraction of a rollup's iterations a sampled audit checks, in (0, 1]; default 0.25 */
  readonly sampleFraction?: number;
  /** audit only these jobs (default: every job) */
  readonly jobIds?: readonly bigint[];
  /** do not open a game within this many seconds of the window's end (the open must be mined in time); default 12 */
  readonly openMarginSeconds?: number;
  /** most calls per walk transaction; default 64 */
  readonly maxCallsPerTx?: number;
  /** withdraw credits as soon as there are some; default true */
  readonly autoWithdraw?: boolean;
  readonly traceClient?: TraceClientOptions;
  /** the training set to audit against; default the job's MNIST prefix (checked against the dataset root) */
  readonly dataset?: Dataset;
  /** mine a block with a no-op transaction when a due timeout cannot be simulated on an idle dev chain; default on chain ids 31337 and 1337 */
  readonly devChainNudge?: boolean;
  /** logger name and metric prefix suffix when several challengers share a host; default "challenger" */
  readonly name?: string;
  readonly metricsPrefix?: string;
}

export const challengerStorePath = (c: ChallengerConfig): string => c.storePath ?? join(c.dataDir, "challenger.db");
export const challengerWorkDir = (c: ChallengerConfig): string => c.workDir ?? join(c.dataDir, "traces");

export interface ChallengerFileConfig extends CommonFileConfig {
  readonly file: string;
}

/** Reads and validates a JSON config file into a ChallengerConfig (the key is loaded). */
export async function loadChallengerConfig(file: string): Promise<{ config: ChallengerConfig; file: ChallengerFileConfig }> {
  const o = readJsonFile(file);
  const common = parseCommon(o, file);
  const audit = o.audit ?? "full";
  if (audit !== "full" && audit !== "sampled") throw new BotConfigError("audit", `expected "full" or "sampled", got ${JSON.stringify(audit)}`, file);
  const fraction = optNum(o, "sampleFraction", file);
  if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) throw new BotConfigError("sampleFraction", `must be in (0, 1], got ${fraction}`, file);
  let jobIds: bigint[] | undefined;
  if (o.jobIds !== undefined) {
    if (!Array.isArray(o.jobIds) || o.jobIds.some((j) => !/^\d+$/.test(String(j)))) throw new BotConfigError("jobIds", "expected an array of decimal job ids", file);
    jobIds = o.jobIds.map((j) => BigInt(String(j)));
  }
  const name = o.name === undefined ? undefined : str(o, "name", file);
  const config: ChallengerConfig = {
    rpcUrl: common.rpcUrl,
    deployment: resolveDeployment(common.deployment, file),
    account: await resolveAccount(common.key, file),
    confirmations: common.confirmations,
    pollIntervalMs: common.pollIntervalMs,
    tickMs: common.tickMs,
    txTimeoutMs: common.txTimeoutMs,
    dataDir: relTo(file, str(o, "dataDir", file, "state/challenger")),
    auditMode: audit,
    sampleFraction: fraction,
    jobIds,
    openMarginSeconds: optInt(o, "openMarginSeconds", file, 0),
    maxCallsPerTx: optInt(o, "maxCallsPerTx", file, 1),
    autoWithdraw: o.autoWithdraw === undefined ? undefined : o.autoWithdraw === true,
    name,
  };
  return { config, file: { ...common, file } };
}
