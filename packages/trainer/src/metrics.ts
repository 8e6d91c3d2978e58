/**
 * The trainer's Prometheus metrics (`refereed_trainer_*`), served by `startMetricsServer` on 127.0.0.1:<port>.
 */
import { BotMetrics } from "@refereed/client";
import type { Counter } from "prom-client";
import { gameBotMetrics, type GameBotMetrics } from "./shared/metrics.js";

export interface TrainerMetrics extends GameBotMetrics {
  readonly bot: BotMetrics;
  readonly trainingSteps: Counter;
  readonly rollupsSubmitted: Counter;
  readonly rollupsFinalized: Counter;
  readonly rollupsRejected: Counter;
  readonly gamesSeen: Counter;
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
    ...gameBotMetrics(bot, "trainer"),
  };
}
