/**
 * The bots as separate processes, for end-to-end tests: `startBot("trainer" | "challenger", config.json)` spawns the
 * bot's `src/main.ts` under tsx with the current node, parses its stdout into JSON log lines (pino), and records its
 * exit. Every process started here is killed with SIGKILL when the test runner exits (also after a failure), and
 * `killAllBots()` does it at once in an `after` hook. With REFEREED_TEST_LOGS set, every line is echoed on stderr.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, type Hex } from "viem";
import type { JobSpec } from "@refereed/engine";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const MAIN = { trainer: "packages/trainer/src/main.ts", challenger: "packages/challenger/src/main.ts" } as const;

export type BotKind = keyof typeof MAIN;

/** One JSON log line of a bot (pino: level, time, msg, and the logged fields). */
export interface LogLine {
  readonly level?: number;
  readonly msg?: string;
  readonly event?: string;
  readonly [k: string]: unknown;
}

/** a log message, or a predicate on the line */
export type LineMatch = string | ((l: LogLine) => boolean);

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface BotProcess {
  readonly kind: BotKind;
  readonly label: string;
  readonly child: ChildProcess;
  /** parsed log lines so far, in order */
  readonly lines: LogLine[];
  /** resolves when the process has exited */
  readonly exited: Promise<Exit>;
  /** stderr so far (the last 8 KB) */
  stderr(): string;
  alive(): boolean;
  /** the first line with this message (or matching this predicate) */
  line(m: LineMatch): LogLine | undefined;
  count(m: LineMatch): number;
  /** waits for a matching line; fails at once, with the stderr tail, if the process exits first */
  waitFor(m: LineMatch, timeoutMs?: number): Promise<LogLine>;
  /** waits for the `{"event":"ready"}` line of `runProcess` */
  ready(timeoutMs?: number): Promise<LogLine>;
  /** sends `signal` and waits for the exit */
  kill(signal: NodeJS.Signals): Promise<Exit>;
}

const live = new Set<ChildProcess>();

/** SIGKILLs every bot process still running (by pid). */
export function killAllBots(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null && c.pid) c.kill("SIGKILL");
}
process.on("exit", killAllBots);

/** Writes a bot's JSON config (bigints as decimal strings); returns the path. */
export function writeConfig(path: string, config: Record<string, unknown>): string {
  writeFileSync(path, JSON.stringify(config, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
  return path;
}

/** The fields every bot config of these tests shares: the RPC endpoint, the deployment `useChain` wrote under `dir`,
 * one confirmation, fast polling and ticks. */
export function botBase(dir: string, rpcUrl: string, timing: { readonly pollIntervalMs?: number; readonly tickMs?: number } = {}) {
  return { rpcUrl, deployment: join(dir, "deployments", "e2e.json"), confirmations: 1, pollIntervalMs: timing.pollIntervalMs ?? 100, tickMs: timing.tickMs ?? 300, logLevel: "info" };
}

/** A trainer bot's config over `base`: its key, VRF seed, job and trace server; `attack` makes it a cheating trainer. */
export function trainerBotConfig(
  base: ReturnType<typeof botBase>,
  t: {
    readonly privateKey: Hex;
    readonly vrfSeed: Uint8Array;
    readonly spec: JobSpec;
    readonly jobId: bigint;
    readonly dataDir: string;
    readonly traceServer: Record<string, unknown>;
    readonly attack?: { readonly kind: string; readonly step: number };
  },
): Record<string, unknown> {
  return {
    ...base,
    key: { privateKey: t.privateKey },
    vrf: { seed: bytesToHex(t.vrfSeed) },
    spec: t.spec,
    jobId: t.jobId,
    ...(t.attack ? { attack: t.attack.kind, attackStep: t.attack.step } : {}),
    dataDir: t.dataDir,
    traceServer: t.traceServer,
  };
}

/** Spawns `node --import tsx packages/<kind>/src/main.ts --config <config>` in the repository root. */
export function startBot(kind: BotKind, config: string, label: string = kind): BotProcess {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN[kind], "--config", config], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  const lines: LogLine[] = [];
  const echo = process.env.REFEREED_TEST_LOGS ? (s: string) => process.stderr.write(`[${label} ${child.pid}] ${s}\n`) : () => {};
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        /* not a log line */
      }
      echo(text);
    }
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-8192);
    echo(`stderr: ${d.toString().trimEnd()}`);
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const matches = (m: LineMatch) => (typeof m === "string" ? (l: LogLine) => l.msg === m : m);
  const tail = (n: number) =>
    lines
      .slice(-n)
      .map((l) => `  ${l.msg}${l.err ? ` (${String((l.err as { message?: unknown }).message ?? "").slice(0, 200)})` : ""}`)
      .join("\n");
  const waitFor = async (m: LineMatch, timeoutMs = 90_000): Promise<LogLine> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = lines.find(matches(m));
      if (l) return l;
      const what = typeof m === "string" ? `"${m}"` : "the awaited line";
      if (!alive()) throw new Error(`${label} exited (code ${child.exitCode}, signal ${child.signalCode}) before logging ${what}: ${err.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label} to log ${what}; its last lines:\n${tail(12)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    kind,
    label,
    child,
    lines,
    exited,
    stderr: () => err,
    alive,
    line: (m) => lines.find(matches(m)),
    count: (m) => lines.filter(matches(m)).length,
    waitFor,
    ready: (timeoutMs = 60_000) => waitFor((l) => l.event === "ready", timeoutMs),
    async kill(signal) {
      if (alive()) child.kill(signal);
      return exited;
    },
  };
}
