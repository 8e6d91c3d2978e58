/**
 * The trainer process: `node --import tsx packages/trainer/src/main.ts --config trainer.json [--metrics-port N]`.
 * Reads the JSON config (see config.ts), starts the daemon and its metrics server on 127.0.0.1, logs one JSON line per
 * event (pino), and stops gracefully on SIGINT/SIGTERM. Exit codes: 0 after a signal, 2 bad usage or config, 1 other.
 */
import { createLogger, type LogLevel } from "@refereed/client";
import { loadTrainerConfig } from "./config.js";
import { runTrainer } from "./daemon.js";
import { exitCodeOf, parseProcessArgs, runProcess } from "./shared/process.js";

const USAGE = "usage: trainer --config <trainer.json> [--metrics-port <port>] [--log-level info|debug|…]";

async function main(): Promise<void> {
  const args = parseProcessArgs(process.argv.slice(2), USAGE);
  const { config, file } = await loadTrainerConfig(args.config);
  const log = createLogger({ name: "trainer", level: (args.logLevel ?? file.logLevel) as LogLevel | undefined });
  await runProcess({
    name: "trainer",
    log,
    metricsPort: args.metricsPort ?? file.metricsPort,
    start: async () => {
      const h = await runTrainer({ ...config, logger: log });
      return { ...h, stop: () => h.stop(), metrics: h.metrics, address: h.address };
    },
    ready: { config: args.config },
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const e = err as Error;
    process.stderr.write(`trainer: ${e.message}\n`);
    process.exit(exitCodeOf(err));
  },
);
