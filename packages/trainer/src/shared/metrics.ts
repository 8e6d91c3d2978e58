/**
 * What both bots measure the same way (games, clocks, transactions, gas, credits, balance, withdrawals), and the
 * duty both perform the same way: collecting what the contract credits them. Each bot adds its own metrics
 * (packages/trainer/src/metrics.ts, packages/challenger/src/metrics.ts).
 */
import type { BotMetrics } from "@refereed/client";
import type { Counter, Gauge } from "prom-client";
import type { Address } from "viem";

export interface GameBotMetrics {
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

/** The shared metrics of a bot playing games as `role` (`<prefix>_games_won_total`, …). */
export function gameBotMetrics(bot: BotMetrics, role: "trainer" | "challenger"): GameBotMetrics {
  const games = role === "trainer" ? "games against this trainer's rollups" : "this challenger's games";
  return {
    gamesWon: bot.counter("games_won_total", `games the ${role} won`),
    gamesLost: bot.counter("games_lost_total", `games the ${role} lost`),
    gamesOpen: bot.gauge("games_open", `${games} in progress`),
    clockMargin: bot.gauge("clock_margin_seconds", `seconds the ${role} has left in each open game (its budget, minus the time since the last move when it is to move)`, ["game"]),
    transactions: bot.counter("transactions_total", "transactions mined, by action", ["kind"]),
    gas: bot.counter("gas_used_total", `gas used by this ${role}'s transactions, by action`, ["kind"]),
    txErrors: bot.counter("transaction_errors_total", "actions that reverted or failed, by action", ["kind"]),
    credits: bot.gauge("credits_wei", `the ${role}'s credit in Refereed (withdrawable)`),
    balance: bot.gauge("balance_wei", `the ${role} account's balance`),
    withdrawn: bot.counter("withdrawn_wei_total", "wei withdrawn from Refereed"),
  };
}

/** The withdrawal of a bot's responder, as `collectCredits` needs it. */
export interface WithdrawOutcome {
  readonly result: { readonly reused: boolean } | null;
}

/**
 * One duty tick's credits: reads the bot's credit, withdraws it unless `withdraw` is false (through the bot's
 * responder, whose idempotency key makes a replayed withdrawal `reused`), and counts what was withdrawn here, once.
 */
export async function collectCredits(
  me: Address,
  reader: { credits(a: Address): Promise<bigint> },
  client: { getBalance(a: { address: Address }): Promise<bigint> },
  metrics: GameBotMetrics,
  withdraw: false | ((amount: bigint) => Promise<readonly WithdrawOutcome[]>),
): Promise<void> {
  const credits = await reader.credits(me);
  metrics.credits.set(Number(credits));
  if (withdraw && credits > 0n) {
    for (const o of await withdraw(credits)) {
      if (o.result && !o.result.reused) metrics.withdrawn.inc(Number(credits));
      if (o.result) metrics.credits.set(Number(await reader.credits(me)));
    }
  }
  metrics.balance.set(Number(await client.getBalance({ address: me })));
}
