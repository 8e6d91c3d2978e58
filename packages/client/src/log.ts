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
      serializers: { err: compactErr },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** Longest string (message, stack, field) an error keeps in a log line. */
const MAX_TEXT = 2_000;
/** Fields of viem errors that repeat what the message says, or carry a whole ABI or request (several KB each). */
const NOISY = new Set(["abi", "metaMessages", "docsPath", "docsBaseUrl", "version", "request", "body", "raw"]);

const clip = (t: string) => (t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT)}… (${t.length} chars)` : t);

/**
 * Errors as pino's `errWithCause` serializes them (type, message, stack, own fields, the cause chain), without the
 * fields that make a viem error line several kilobytes (its ABI, request body, doc links) and with long strings and
 * large fields clipped: a line stays readable and greppable.
 */
export function compactErr(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return compact(pino.stdSerializers.errWithCause(err), 0);
}

function compact(v: unknown, depth: number): unknown {
  if (typeof v === "string") return clip(v);
  if (typeof v === "bigint") return v.toString();
  if (v === null || typeof v !== "object") return v;
  if (depth > 4) return "[…]";
  if (Array.isArray(v)) {
    const json = JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)) ?? "";
    return json.length > MAX_TEXT ? clip(json) : v.map((x) => compact(x, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (NOISY.has(k)) continue;
    // a stack starts with the (maybe huge) message: clip each line, keep the frames
    out[k] = k === "stack" && typeof x === "string" ? x.split("\n", 40).map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l)).join("\n") : compact(x, depth + 1);
  }
  return out;
}

/** A child logger whose lines carry `component` (and any extra bindings). */
export function componentLogger(parent: Logger, component: string, bindings: Record<string, string | number | boolean> = {}): Logger {
  return parent.child({ component, ...bindings });
}

/** A logger that writes nothing (default of the components when none is given). */
export const silentLogger: Logger = pino({ level: "silent" });
