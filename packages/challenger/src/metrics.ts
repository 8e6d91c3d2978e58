/**
 * The challenger's Prometheus metrics (`refereed_challenger_*`), served by `startMetricsServer` on 127.0.0.1:<port>.
 */
import { BotMetrics } from "@refereed/client";
import { gameBotMetrics, type GameBotMetrics } from "@refereed/trainer/shared";
import type { Counter, Histogram } from "prom-client";

export interface ChallengerMetrics extends GameBotMetrics {
  readonly bot: BotMetrics;
  readonly rollupsSeen: Counter;
  readonly audits: Counter<"result">;
  readonly auditSeconds: Histogram;
  readonly iterationsAudited: Counter;
  readonly traceIntegrityFailures: Counter;
  readonly traceFetchFailures: Counter;
  readonly violations: Counter;
  readonly gamesOpened: Counter;
}

export function challengerMetrics(prefix = "refereed_challenger", processMetrics = true): ChallengerMetrics {
  const bot = new BotMetrics(prefix, { processMetrics });
  return {
    bot,
    rollupsSeen: bot.counter("rollups_seen_total", "RollupSubmitted events followed"),
    audits: bot.counter("audits_total", "rollup audits by result (clean, violation, unprovable, trace-error, skipped)", ["result"]),
    auditSeconds: bot.histogram("audit_seconds", "time to fetch, verify and audit one rollup", [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]),
    iterationsAudited: bot.counter("iterations_audited_total", "iterations audited"),
    traceIntegrityFailures: bot.counter("trace_integrity_failures_total", "trace objects or iterations that failed their hash or commitment check (never trusted)"),
    traceFetchFailures: bot.counter("trace_fetch_failures_total", "trace fetches that failed after the client's retries"),
    violations: bot.counter("violations_found_total", "violations found by audits"),
    gamesOpened: bot.counter("games_opened_total", "games this challenger opened"),
    ...gameBotMetrics(bot, "challenger"),
  };
}
