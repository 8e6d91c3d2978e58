/**
 * The challenger process: `node --import tsx packages/challenger/src/main.ts --config challenger.json [--metrics-port N]`.
 * Reads the JSON config (see config.ts), starts the daemon and its metrics server on 127.0.0.1, logs one JSON line
 * per event (pino), and stops gracefully on SIGINT/SIGTERM. Exit codes: 0 after a signal, 2 bad usage or config, 1
 * other. Several challengers run as several processes, each with its own config, key and data directory.
 */
import { createLogger, type LogLevel } from "@refereed/client";
import { exitCodeOf, parseProcessArgs, runProcess } from "@refereed/trainer";
import { loadChallengerConfig } from "./config.js";
import { runChallenger } from "./daemon.js";

const USAGE = "usage: challenger --config <challenger.json> [--metrics-port <port>] [--log-level info|debug|…]";

async function main(): Promise<void> {
  const args = parseProcessArgs(process.argv.slice(2), USAGE);
  const { config, file } = await loadChallengerConfig(args.config);
  const log = createLogger({ name: config.name ?? "challenger", level: (args.logLevel ?? file.logLevel) as LogLevel | undefined });
  await runProcess({
    name: config.name ?? "challenger",
    log,
    metricsPort: args.metricsPort ?? file.metricsPort,
    start: async () => {
      const h = await runChallenger({ ...config, logger: log });
      return { stop: () => h.stop(), metrics: h.metrics, address: h.address };
    },
    ready: { config: args.config },
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`challenger: ${(err as Error).message}\n`);
    process.exit(exitCodeOf(err));
  },
);
