/**
 * The process around a daemon (`main.ts` of each bot): arguments, the metrics server on 127.0.0.1, graceful stop on
 * SIGINT/SIGTERM (in-flight work finishes, the store is closed), and exit codes: 0 after a signal, 2 for a usage or
 * config error (message names the bad input), 1 for anything else.
 */
import { parseArgs } from "node:util";
import { startMetricsServer, type BotMetrics, type Logger } from "@refereed/client";
import { BotConfigError } from "./config.js";

export interface ProcessArgs {
  readonly config: string;
  /** overrides of the config file */
  readonly metricsPort?: number;
  readonly logLevel?: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function parseProcessArgs(argv: readonly string[], usage: string): ProcessArgs {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { config: { type: "string", short: "c" }, "metrics-port": { type: "string" }, "log-level": { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
  if (values.help) throw new UsageError(usage);
  const config = (values.config as string | undefined) ?? positionals[0];
  if (!config) throw new UsageError(`missing --config <file.json>\n${usage}`);
  let metricsPort: number | undefined;
  if (values["metrics-port"] !== undefined) {
    metricsPort = Number(values["metrics-port"]);
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) throw new UsageError(`--metrics-port must be a port number, got ${values["metrics-port"]}`);
  }
  return { config, metricsPort, logLevel: values["log-level"] as string | undefined };
}

/**
 * Runs a daemon until SIGINT/SIGTERM: starts it, serves its metrics (when a port is given), prints one JSON line
 * `{"event":"ready", ...}` on stdout for supervisors and tests, and stops it gracefully on a signal.
 */
export async function runProcess(opts: {
  readonly name: string;
  readonly log: Logger;
  readonly metricsPort: number | undefined;
  readonly start: () => Promise<{ stop(): Promise<void>; metrics: { bot: BotMetrics }; address: string }>;
  readonly ready?: Record<string, unknown>;
}): Promise<void> {
  const handle = await opts.start();
  const server = opts.metricsPort === undefined ? null : await startMetricsServer(opts.metricsPort, handle.metrics.bot);
  opts.log.info({ event: "ready", address: handle.address, metrics: server?.url ?? null, ...opts.ready }, `${opts.name} running`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      opts.log.info({ signal: sig }, `${opts.name} stopping`);
      void handle
        .stop()
        .then(() => server?.close())
        .then(resolve, (err: unknown) => {
          opts.log.error({ err }, "error while stopping");
          resolve();
        });
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}

/** Exit code of an error thrown before or while starting. */
export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError || err instanceof BotConfigError || (err as Error)?.name?.endsWith("KeyError") || (err as Error)?.name === "MissingKeyError" ? 2 : 1;
}

/**
 * The duty loop of a daemon: runs `tick` every `tickMs` until `stopped()`. A failing tick (usually the RPC endpoint)
 * is logged and retried on the next tick; `nap` is the daemon's abortable sleep, so `stop()` ends the wait at once.
 */
export async function dutyLoop(tick: () => Promise<void>, opts: { tickMs: number; stopped: () => boolean; nap: (ms: number) => Promise<unknown>; log: Logger }): Promise<void> {
  while (!opts.stopped()) {
    try {
      await tick();
    } catch (err) {
      if (!opts.stopped()) opts.log.warn({ err: { message: (err as Error).message, name: (err as Error).name } }, "duty tick failed (RPC?); retrying");
    }
    await opts.nap(opts.tickMs);
  }
}
