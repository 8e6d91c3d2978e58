/**
 * Structured logging: pino, one JSON line per event on stdout (or a given stream), ISO timestamps, errors under
 * `err` with their stack and cause. Each component logs through a child logger (`{component: "follower"}`), so
 * lines can be filtered by bot and component.
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface LoggerOptions {
  /** the bot, e.g. `trainer` or `challenger-2`: every line carries it as `name` */
  readonly name: string;
  /** default: $REFEREED_LOG_LEVEL, else `info` */
  readonly level?: LogLevel;
  /** default: stdout */
  readonly destination?: DestinationStream;
  /** fields added to every line */
  readonly base?: Record<string, string | number | boolean>;
}

const LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function createLogger(opts: LoggerOptions): Logger {
  const env = process.env.REFEREED_LOG_LEVEL;
  const level = opts.level ?? (env && (LEVELS as readonly string[]).includes(env) ? (env as LogLevel) : "info");
  return pino(
    {
      name: opts.name,
      level,
      base: { pid: process.pid, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A child logger whose lines carry `component` (and any extra bindings). */
export function componentLogger(parent: Logger, component: string, bindings: Record<string, string | number | boolean> = {}): Logger {
  return parent.child({ component, ...bindings });
}

/** A logger that writes nothing (default of the components when none is given). */
export const silentLogger: Logger = pino({ level: "silent" });
