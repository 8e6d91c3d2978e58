/**
 * Progress of long work (training, deployments, waits for a challenge window) for people watching a terminal and
 * for logs. Written to stderr by default, so stdout keeps only the results (tables, JSON).
 *
 * On a terminal (`stream.isTTY`) one line is redrawn in place with `\r`: bar, percent, done/total, elapsed time,
 * ETA and a detail text, cut to the terminal's width. Anywhere else (CI, pipes, log files) it writes plain lines,
 * never carriage returns or ANSI codes: one when a tenth of the work more is done, else at most one every
 * `lineMs` (a heartbeat, so a long wait still shows it is alive). Without a total it is a spinner with the elapsed
 * time. It draws when the caller reports, and on a timer only where `refreshMs` asks for one.
 */

/** Where progress goes: a Node write stream (`process.stderr`) or anything shaped like one. */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  /** the terminal's width in characters (TTY only) */
  readonly columns?: number;
}

export interface ProgressOptions {
  /** what is being done, e.g. `training` */
  readonly label: string;
  /** units of work; omitted for a wait of unknown length (spinner and elapsed time) */
  readonly total?: number;
  /** default: process.stderr */
  readonly stream?: ProgressStream;
  /** the clock in milliseconds (tests inject one); default Date.now */
  readonly now?: () => number;
  /** terminal: the least time between two redraws; default 100 ms */
  readonly redrawMs?: number;
  /** plain lines: the most time between two lines while work goes on; default 10 s */
  readonly lineMs?: number;
  /** plain lines at all when the stream is not a terminal; default true (false where the caller logs each step) */
  readonly plain?: boolean;
  /**
   * Also report on a timer every `refreshMs` (an unref'd interval, cleared by `done`/`stop`), for a wait inside a
   * call that reports nothing (a receipt, a child process): the spinner turns and the heartbeat lines go on.
   * Default: none, the reporter draws only when the caller reports.
   */
  readonly refreshMs?: number;
}

export interface Progress {
  /** `n` (default 1) more units done; `detail` replaces the detail text when given */
  tick(n?: number, detail?: string): void;
  /** `done` units done in all (clamped to [0, total]); `detail` replaces the detail text when given */
  update(done: number, detail?: string): void;
  /** Runs `write` (which prints lines of its own) with the bar out of the way, then draws the bar again. */
  interrupt<T>(write: () => T): T;
  /** The work ended: one final line (the summary, or the count) with the elapsed time. Later calls do nothing. */
  done(summary?: string): void;
  /** The work ended, nothing to say: the terminal line is erased, no final line. Later calls do nothing. */
  stop(): void;
}

const BAR_WIDTH = 20;
const SPINNER = ["|", "/", "-", "\\"] as const;
const ERASE_LINE = "\r\x1b[K";

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/** `text` cut to `width` characters (an ellipsis marks the cut). */
function clamp(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, Math.max(0, width)) : `${text.slice(0, width - 1)}…`;
}

export function progress(opts: ProgressOptions): Progress {
  const stream: ProgressStream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const tty = stream.isTTY === true;
  const plain = opts.plain ?? true;
  const redrawMs = opts.redrawMs ?? 100;
  const lineMs = opts.lineMs ?? 10_000;
  const total = opts.total === undefined ? undefined : Math.max(0, Math.floor(opts.total));
  const label = opts.label;
  const start = now();

  let count = 0;
  let detail = "";
  let finished = false;
  let frame = 0;
  // terminal: is the bar on screen, and when was it drawn; plain lines: when and at which tenth the last one was
  let drawn = false;
  let drawnAt = -Infinity;
  let lineAt = -Infinity;
  let lineTenth = -1;

  const fraction = () => (total === undefined ? 0 : total === 0 ? 1 : count / total);
  const counts = () => `${count}/${total}`;
  const elapsed = () => formatDuration(now() - start);
  const eta = () => {
    if (total === undefined || count >= total) return "";
    return count === 0 ? "eta -:--" : `eta ${formatDuration(((now() - start) * (total - count)) / count)}`;
  };
  const suffix = (text: string, sep: string) => (text ? `${sep}${text}` : "");

  function terminalLine(): string {
    let line: string;
    if (total === undefined) {
      line = `${label} ${SPINNER[frame++ % SPINNER.length]} ${elapsed()}`;
    } else {
      const filled = Math.floor(fraction() * BAR_WIDTH);
      const bar = "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled);
      line = `${label} [${bar}] ${String(Math.floor(fraction() * 100)).padStart(3)}% ${counts()} ${elapsed()}${suffix(eta(), " ")}`;
    }
    // a terminal that does not tell its width (0, as a pty may) is taken as 80 columns
    const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
    return clamp(line + suffix(detail, "  "), Math.max(1, columns - 1));
  }

  function plainLine(): string {
    const head =
      total === undefined ? `${label}: ${elapsed()} elapsed` : `${label}: ${Math.floor(fraction() * 100)}% (${counts()}) after ${elapsed()}${suffix(eta(), ", ")}`;
    return head + suffix(detail, " - ");
  }

  function draw(): void {
    stream.write(`${ERASE_LINE}${terminalLine()}`);
    drawn = true;
    drawnAt = now();
  }

  function report(): void {
    if (finished) return;
    if (tty) {
      if (!drawn || now() - drawnAt >= redrawMs) draw();
      return;
    }
    if (!plain) return;
    const tenth = Math.floor(fraction() * 10);
    if (lineTenth < 0 || tenth > lineTenth || now() - lineAt >= lineMs) {
      stream.write(`${plainLine()}\n`);
      lineAt = now();
      lineTenth = Math.max(tenth, 0);
    }
  }

  const timer = opts.refreshMs === undefined ? undefined : setInterval(report, Math.max(10, opts.refreshMs));
  timer?.unref();

  function finish(): void {
    erase();
    finished = true;
    if (timer) clearInterval(timer);
  }

  function erase(): void {
    if (tty && drawn) stream.write(ERASE_LINE);
    drawn = false;
  }

  function set(done: number, text: string | undefined): void {
    if (Number.isFinite(done)) count = Math.max(0, Math.floor(done));
    if (total !== undefined) count = Math.min(count, total);
    if (text !== undefined) detail = text.replace(/[\r\n]+/g, " ");
    report();
  }

  return {
    tick: (n = 1, text) => set(count + n, text),
    update: (done, text) => set(done, text),
    interrupt<T>(write: () => T): T {
      if (finished) return write();
      erase();
      try {
        return write();
      } finally {
        if (tty) draw();
      }
    },
    done(summary) {
      if (finished) return;
      finish();
      if (!tty && !plain) return;
      const what = summary ?? (total === undefined ? "done" : `done ${counts()}`);
      stream.write(`${label}: ${what} (${elapsed()})\n`);
    },
    stop() {
      if (finished) return;
      finish();
    },
  };
}
