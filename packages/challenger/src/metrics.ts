/**
 * The challenger's Prometheus metrics (`refereed_challenger_*`), served by `startMetricsServer` on 127.0.0.1:<port>.
 */
import { BotMetrics } from "@refereed/client";
import type { Counter, Gauge, Histogram } from "prom-client";

export interface ChallengerMetrics {
  readonly bot: BotMetrics;
  readonly rollupsSeen: Counter;
  readonly audits: Counter<"result">;
  readonly auditSeconds: Histogram;
  readonly iterationsAudited: Counter;
  readonly traceIntegrityFailures: Counter;
  readonly traceFetchFailures: Counter;
  readonly violations: Counter;
  readonly gamesOpened: Counter;
  readonly gamesWon: Counter;
  readonly gamesLost: Counter;
  readonly gamesOpen: Gauge;
  readonly clockMargin: Gauge<"game">;
  readonly transactions: Counter<"kind">;
  readonly gas: Counter<"kind">;
  readonly txErrors: Counter<"kind">;
  readonly credits: Gauge;
  readonly balance: Gauge;
  readonly withdrawn: Counter;
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
    gamesWon: bot.counter("games_won_total", "games this challenger won"),
    gamesLost: bot.counter("games_lost_total", "games this challenger lost"),
    gamesOpen: bot.gauge("games_open", "this challenger's games in progress"),
    clockMargin: bot.gauge("clock_margin_seconds", "seconds the challenger has left in each open game (its budget, minus the time since the last move when it is to move)", ["game"]),
    transactions: bot.counter("transactions_total", "transactions mined, by action", ["kind"]),
    gas: bot.counter("gas_used_total", "gas used by this challenger's transactions, by action", ["kind"]),
    txErrors: bot.counter("transaction_errors_total", "actions that reverted or failed, by action", ["kind"]),
    credits: bot.gauge("credits_wei", "the challenger's credit in Refereed (withdrawable)"),
    balance: bot.gauge("balance_wei", "the challenger account's balance"),
    withdrawn: bot.counter("withdrawn_wei_total", "wei withdrawn from Refereed"),
  };
}
