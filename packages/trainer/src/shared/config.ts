/**
 * Configuration pieces shared by the two daemons: where the chain and the deployment are, which key signs, how the
 * follower polls; and the validation of a JSON config file into them, with errors that name the bad field.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { loadAccount, readDeployment, type Deployment, type Logger } from "@refereed/client";

/** A config value is missing or malformed: names the field (and the file) and what was expected. */
export class BotConfigError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ""}config field ${field}: ${detail}`);
    this.name = "BotConfigError";
  }
}

/** What both daemons need to reach the chain. */
export interface ChainConfig {
  /** JSON-RPC endpoint, e.g. http://127.0.0.1:8545 */
  readonly rpcUrl: string;
  /** the protocol's deployment (deployments/<network>.json): addresses and the deploy block */
  readonly deployment: Deployment;
  /** the signing account (a local account: transactions are signed in the bot) */
  readonly account: LocalAccount;
  /** confirmations before an event is acted on; default 2 (use 1 on an automining dev chain) */
  readonly confirmations?: number;
  /** follower poll interval once caught up; default 1000 ms */
  readonly pollIntervalMs?: number;
  /** interval of the duty loop (games, finalization, withdrawals); default 1000 ms */
  readonly tickMs?: number;
  /** receipt wait per transaction; default 120 s */
  readonly txTimeoutMs?: number;
  /** pino logger; default one named after the bot on stdout */
  readonly logger?: Logger;
}

/** How a JSON config names the signing key. */
export type KeyFileConfig =
  | { readonly env?: string }
  | { readonly keystore: string; readonly passwordEnv?: string }
  /** development only: a raw private key in the config file */
  | { readonly privateKey: `0x${string}` };

/** The fields of a JSON config file common to both bots. */
export interface CommonFileConfig {
  readonly rpcUrl: string;
  /** a deployment file path, or a network name (deployments/<network>.json under the repository) */
  readonly deployment: string;
  readonly key?: KeyFileConfig;
  readonly confirmations?: number;
  readonly pollIntervalMs?: number;
  readonly tickMs?: number;
  readonly txTimeoutMs?: number;
  /** Prometheus metrics on 127.0.0.1:<port> (0 = a free port); omitted = no metrics server */
  readonly metricsPort?: number;
  readonly logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

export type Obj = Record<string, unknown>;

export function readJsonFile(path: string, field = "config"): Obj {
  if (!existsSync(path)) throw new BotConfigError(field, `file ${path} does not exist`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new BotConfigError(field, `${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new BotConfigError(field, `${path} must hold a JSON object`);
  return v as Obj;
}

export function str(o: Obj, k: string, file?: string, fallback?: string): string {
  const v = o[k];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "string" || v.length === 0) throw new BotConfigError(k, `expected a non-empty string, got ${JSON.stringify(v)}`, file);
  return v;
}

export function optInt(o: Obj, k: string, file?: string, min = 0): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw new BotConfigError(k, `expected an integer >= ${min}, got ${JSON.stringify(v)}`, file);
  return v;
}

export function optNum(o: Obj, k: string, file?: string): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new BotConfigError(k, `expected a number, got ${JSON.stringify(v)}`, file);
  return v;
}

/** A path relative to the config file's directory (absolute paths are kept). */
export function relTo(file: string | undefined, p: string): string {
  return isAbsolute(p) || !file ? resolve(p) : resolve(dirname(file), p);
}

/** A deployment from a file path or a network name. */
export function resolveDeployment(v: string, file?: string): Deployment {
  if (v.endsWith(".json")) {
    const o = readJsonFile(relTo(file, v), "deployment");
    if (!o.contracts || typeof o.deployBlock !== "number") throw new BotConfigError("deployment", `${v} is not a deployment file (no contracts / deployBlock)`, file);
    return o as unknown as Deployment;
  }
  const d = readDeployment(v);
  if (!d) throw new BotConfigError("deployment", `no deployments/${v}.json: deploy first (npx refereed deploy --network ${v})`, file);
  return d;
}

/** The signing account named by a config's `key` (default: $REFEREED_PRIVATE_KEY). */
export async function resolveAccount(k: KeyFileConfig | undefined, file?: string): Promise<LocalAccount> {
  if (k && "privateKey" in k) {
    try {
      return privateKeyToAccount(k.privateKey);
    } catch (err) {
      throw new BotConfigError("key.privateKey", `not a valid private key: ${(err as Error).message}`, file);
    }
  }
  if (k && "keystore" in k) return loadAccount({ keystore: relTo(file, k.keystore), passwordEnv: k.passwordEnv });
  return loadAccount({ privateKeyEnv: (k as { env?: string } | undefined)?.env });
}

/** The common part of a JSON config, validated. */
export function parseCommon(o: Obj, file?: string): CommonFileConfig {
  const rpcUrl = str(o, "rpcUrl", file);
  if (!/^https?:\/\//.test(rpcUrl)) throw new BotConfigError("rpcUrl", `expected an http(s) URL, got ${JSON.stringify(rpcUrl)}`, file);
  const key = o.key;
  if (key !== undefined && (key === null || typeof key !== "object")) throw new BotConfigError("key", "expected {env}, {keystore, passwordEnv} or {privateKey}", file);
  const logLevel = o.logLevel;
  if (logLevel !== undefined && !["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel as string)) {
    throw new BotConfigError("logLevel", `expected one of fatal, error, warn, info, debug, trace, silent, got ${JSON.stringify(logLevel)}`, file);
  }
  return {
    rpcUrl,
    deployment: str(o, "deployment", file),
    key: key as KeyFileConfig | undefined,
    confirmations: optInt(o, "confirmations", file, 1),
    pollIntervalMs: optInt(o, "pollIntervalMs", file, 1),
    tickMs: optInt(o, "tickMs", file, 1),
    txTimeoutMs: optInt(o, "txTimeoutMs", file, 1),
    metricsPort: optInt(o, "metricsPort", file, 0),
    logLevel: logLevel as CommonFileConfig["logLevel"],
  };
}

/** JSON with bigints as decimal strings (for the Store). */
export function jsonSafe<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)));
}
