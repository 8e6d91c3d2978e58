/**
 * The trainer's Prometheus metrics (`refereed_trainer_*`), served by `startMetricsServer` on 127.0.0.1:<port>.
 */
import { BotMetrics } from "@refereed/client";
import type { Counter, Gauge } from "prom-client";

export interface TrainerMetrics {
  readonly bot: BotMetrics;
  readonly trainingSteps: Counter;
  readonly rollupsSubmitted: Counter;
  readonly rollupsFinalized: Counter;
  readonly rollupsRejected: Counter;
  readonly gamesSeen: Counter;
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

export function trainerMetrics(prefix = "refereed_trainer", processMetrics = true): TrainerMetrics {
  const bot = new BotMetrics(prefix, { processMetrics });
  return {
    bot,
    trainingSteps: bot.counter("training_steps_total", "training steps run (all rollups, retraining included)"),
    rollupsSubmitted: bot.counter("rollups_submitted_total", "rollups submitted by this trainer"),
    rollupsFinalized: bot.counter("rollups_finalized_total", "rollups of this trainer's job finalized"),
    rollupsRejected: bot.counter("rollups_rejected_total", "rollups of this trainer's job rejected by a game"),
    gamesSeen: bot.counter("games_seen_total", "games opened against this trainer's rollups"),
    gamesWon: bot.counter("games_won_total", "games the trainer won"),
    gamesLost: bot.counter("games_lost_total", "games the trainer lost"),
    gamesOpen: bot.gauge("games_open", "games in progress against this trainer's rollups"),
    clockMargin: bot.gauge("clock_margin_seconds", "seconds the trainer has left in each open game (its budget, minus the time since the last move when it is to move)", ["game"]),
    transactions: bot.counter("transactions_total", "transactions mined, by action", ["kind"]),
    gas: bot.counter("gas_used_total", "gas used by this trainer's transactions, by action", ["kind"]),
    txErrors: bot.counter("transaction_errors_total", "actions that reverted or failed, by action", ["kind"]),
    credits: bot.gauge("credits_wei", "the trainer's credit in Refereed (withdrawable)"),
    balance: bot.gauge("balance_wei", "the trainer account's balance"),
    withdrawn: bot.counter("withdrawn_wei_total", "wei withdrawn from Refereed"),
  };
}
