/** The progress reporter against a fake stream (terminal or not) and an injected clock. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, progress, type Progress, type ProgressOptions } from "../src/index.js";

/** A stream that records what is written, and a clock the test moves. */
function fixture(tty: boolean, columns = 120) {
  const chunks: string[] = [];
  let t = 1_000_000;
  const stream = { isTTY: tty, columns, write: (s: string) => chunks.push(s) };
  const clock = {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
  const make = (o: Omit<ProgressOptions, "stream" | "now">) => progress({ ...o, stream, now: clock.now });
  /** `n` ticks of `p`, `ms` apart (the clock moves before each). */
  const ticks = (p: Progress, n: number, ms: number, detail?: (i: number) => string) => {
    for (let i = 0; i < n; i++) {
      clock.advance(ms);
      p.tick(1, detail?.(i));
    }
  };
  /** Everything written, and the lines (split on `\n`, without the empty last one). */
  const text = () => chunks.join("");
  const lines = () => text().split("\n").filter((l) => l !== "");
  /** What a terminal shows on the line last drawn: the text after the last carriage return and erase code. */
  const screen = () => text().split("\n").at(-1)!.split("\r").at(-1)!.replace("\x1b[K", "");
  return { chunks, clock, make, ticks, text, lines, screen };
}

describe("progress on a terminal", () => {
  it("redraws one line in place: bar, percent, done/total, elapsed, ETA and detail", () => {
    const f = fixture(true);
    const p = f.make({ label: "training", total: 200 });
    f.clock.advance(10_000);
    p.update(50, "rollup 1/5");
    assert.equal(f.screen(), "training [#####...............]  25% 50/200 0:10 eta 0:30  rollup 1/5");
    assert.ok(!f.text().includes("\n"), "no newline while the work goes on");
    assert.ok(f.chunks.every((c) => c.startsWith("\r\x1b[K")), "every redraw returns to the line start and erases it");
  });

  it("throttles redraws to one per redrawMs", () => {
    const f = fixture(true);
    const p = f.make({ label: "x", total: 100, redrawMs: 100 });
    p.tick();
    p.tick();
    p.tick();
    assert.equal(f.chunks.length, 1, "three ticks within 100 ms draw once");
    f.clock.advance(100);
    p.tick();
    assert.equal(f.chunks.length, 2);
    assert.match(f.screen(), / 4\/100 /, "the redraw shows every tick so far");
  });

  it("cuts the line to the terminal's width (one column spare, so it never wraps)", () => {
    const f = fixture(true, 40);
    const p = f.make({ label: "training", total: 10 });
    p.update(3, "a detail text much longer than what the terminal can show");
    assert.equal(f.screen().length, 39);
    assert.ok(f.screen().endsWith("…"));
    const narrow = fixture(true, 1);
    narrow.make({ label: "training", total: 10 }).update(3);
    assert.equal(narrow.screen().length, 1);
    const unknown = fixture(true, 0);
    unknown.make({ label: "training", total: 10 }).update(3, "x".repeat(200));
    assert.equal(unknown.screen().length, 79, "a width of 0 (unknown) is taken as 80");
  });

  it("interrupt erases the bar, lets other output through on its own line, and draws the bar again", () => {
    const f = fixture(true);
    const p = f.make({ label: "x", total: 4 });
    p.update(1);
    const r = p.interrupt(() => {
      f.chunks.push("a log line\n");
      return 7;
    });
    assert.equal(r, 7);
    assert.equal(f.chunks[1], "\r\x1b[K", "the bar is erased first");
    assert.equal(f.chunks[2], "a log line\n");
    assert.match(f.chunks[3]!, /^\r\x1b\[Kx \[#####/, "then drawn again at once, whatever the throttle");
  });

  it("done replaces the bar with a final line; later calls write nothing", () => {
    const f = fixture(true);
    const p = f.make({ label: "training", total: 3 });
    p.update(3);
    f.clock.advance(65_000);
    p.done("3 steps in 1 rollup");
    assert.equal(f.lines().at(-1)!.split("\r").at(-1), "\x1b[Ktraining: 3 steps in 1 rollup (1:05)");
    assert.ok(f.text().endsWith("\n"));
    const n = f.chunks.length;
    p.tick();
    p.done();
    p.stop();
    assert.equal(f.chunks.length, n);
  });

  it("an indeterminate wait shows a spinner that turns on each redraw, and the elapsed time", () => {
    const f = fixture(true);
    const p = f.make({ label: "waiting for the chain" });
    p.update(0);
    assert.equal(f.screen(), "waiting for the chain | 0:00");
    f.clock.advance(1_000);
    p.tick(1, "attempt 2");
    assert.equal(f.screen(), "waiting for the chain / 0:01  attempt 2");
    p.stop();
    assert.equal(f.chunks.at(-1), "\r\x1b[K", "stop erases the line and writes no final line");
  });

  it("refreshMs redraws on a timer while the caller reports nothing, until stop", async () => {
    const f = fixture(true);
    const p = f.make({ label: "waiting for the receipt", refreshMs: 10, redrawMs: 0 });
    await new Promise((r) => setTimeout(r, 80));
    const drawn = f.chunks.length;
    assert.ok(drawn >= 2, `the timer drew ${drawn} times in 80 ms`);
    const frames = new Set(f.chunks.map((c) => /receipt (\S) /.exec(c)?.[1]));
    assert.ok(frames.size > 1 && !frames.has(undefined), `the spinner turns: ${[...frames].join(" ")}`);
    p.stop();
    const after = f.chunks.length;
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(f.chunks.length, after, "nothing is drawn after stop");
  });

  it("total 0 is complete at once; ticks past the total are clamped", () => {
    const f = fixture(true);
    f.make({ label: "none", total: 0 }).update(0);
    assert.equal(f.screen(), "none [####################] 100% 0/0 0:00");
    const g = fixture(true);
    const p = g.make({ label: "over", total: 5 });
    p.tick(3);
    g.clock.advance(100);
    p.tick(9);
    assert.equal(g.screen(), "over [####################] 100% 5/5 0:00");
    g.clock.advance(100);
    p.update(-4);
    assert.match(g.screen(), / 0% 0\/5 /, "a negative count is clamped to 0");
  });
});

describe("progress in a log (not a terminal)", () => {
  it("writes plain lines: no carriage return, no ANSI code", () => {
    const f = fixture(false);
    const p = f.make({ label: "training", total: 100 });
    f.ticks(p, 100, 300, (i) => `step ${i}`);
    p.done();
    assert.ok(!/[\r\x1b]/.test(f.text()));
    assert.equal(f.lines()[0], "training: 1% (1/100) after 0:00, eta 0:30 - step 0");
    assert.equal(f.lines().at(-1), "training: done 100/100 (0:30)");
  });

  it("throttles to one line per tenth of the work, plus a heartbeat every lineMs", () => {
    const f = fixture(false);
    f.ticks(f.make({ label: "x", total: 1000, lineMs: 10_000 }), 1000, 10);
    // the first report, then 10%, 20%, …, 100%: 11 lines in 10 s of work
    assert.equal(f.lines().length, 11);
    assert.deepEqual(
      f.lines().map((l) => /(\d+)%/.exec(l)![1]),
      ["0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "100"],
    );
    const g = fixture(false);
    g.ticks(g.make({ label: "slow", total: 1000, lineMs: 10_000 }), 60, 1_000);
    // 60 s, 6% done: the first line and one heartbeat every 10 s
    assert.equal(g.lines().length, 6);
  });

  it("an indeterminate wait writes its elapsed time at the heartbeat", () => {
    const f = fixture(false);
    const p = f.make({ label: "waiting for the challenge window", lineMs: 5_000 });
    for (let i = 0; i < 12; i++) {
      p.update(0, `closes in ${60 - i * 5} s`);
      f.clock.advance(2_500);
    }
    p.done("window closed");
    assert.deepEqual(f.lines(), [
      "waiting for the challenge window: 0:00 elapsed - closes in 60 s",
      "waiting for the challenge window: 0:05 elapsed - closes in 50 s",
      "waiting for the challenge window: 0:10 elapsed - closes in 40 s",
      "waiting for the challenge window: 0:15 elapsed - closes in 30 s",
      "waiting for the challenge window: 0:20 elapsed - closes in 20 s",
      "waiting for the challenge window: 0:25 elapsed - closes in 10 s",
      "waiting for the challenge window: window closed (0:30)",
    ]);
  });

  it("total 0 and counts past the total do not crash and print 100%", () => {
    const f = fixture(false);
    const p = f.make({ label: "empty", total: 0 });
    p.tick(5);
    p.done();
    assert.deepEqual(f.lines(), ["empty: 100% (0/0) after 0:00", "empty: done 0/0 (0:00)"]);
  });

  it("plain: false writes nothing off a terminal, not even the final line; interrupt still runs its writer", () => {
    const f = fixture(false);
    const p = f.make({ label: "deploying", total: 3, plain: false });
    p.tick();
    assert.equal(p.interrupt(() => "ran"), "ran");
    p.done();
    assert.deepEqual(f.chunks, []);
  });

  it("a detail with newlines stays on one line", () => {
    const f = fixture(false);
    f.make({ label: "x", total: 2 }).update(1, "two\nlines\r\n");
    assert.deepEqual(f.lines(), ["x: 50% (1/2) after 0:00, eta 0:00 - two lines "]);
  });
});

describe("formatDuration", () => {
  it("prints m:ss below an hour and h:mm:ss from an hour", () => {
    assert.equal(formatDuration(0), "0:00");
    assert.equal(formatDuration(59_400), "0:59");
    assert.equal(formatDuration(61_000), "1:01");
    assert.equal(formatDuration(3_600_000 + 125_000), "1:02:05");
    assert.equal(formatDuration(-5), "0:00");
  });
});
