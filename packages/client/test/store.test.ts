import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { Store, StoreError } from "../src/index.js";

function tempDb(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "refereed-store-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "bot.db");
}

test("key/value: JSON values round-trip across reopen, keys by prefix, delete; WAL with synchronous=FULL", (t) => {
  const path = tempDb(t);
  const s = Store.open(path);
  assert.equal(s.pragma("journal_mode"), "wal");
  assert.equal(s.pragma("synchronous"), 2); // FULL
  s.put("game:1", { clock: 120, moves: ["0xab", 3], done: false, parent: null });
  s.put("game:2", "x");
  s.put("other", 7);
  assert.deepEqual(s.keys("game:"), ["game:1", "game:2"]);
  assert.equal(s.delete("game:2"), true);
  assert.equal(s.delete("game:2"), false);
  s.close();
  const r = Store.open(path);
  t.after(() => r.close());
  assert.deepEqual(r.get("game:1"), { clock: 120, moves: ["0xab", 3], done: false, parent: null });
  assert.equal(r.get("game:2"), undefined);
  assert.equal(r.get<number>("other"), 7);
  assert.throws(() => r.put("big", { v: 1n } as never), (e: unknown) => e instanceof StoreError && /key "big"/.test(e.message) && /BigInt/.test(e.message));
});

test("transactions commit together or not at all; nested calls are savepoints; async callbacks are refused", (t) => {
  const s = Store.open(tempDb(t));
  t.after(() => s.close());
  s.put("a", 1);
  assert.throws(
    () =>
      s.transaction(() => {
        s.put("a", 2);
        s.put("b", 2);
        throw new Error("boom");
      }),
    /boom/,
  );
  assert.equal(s.get("a"), 1);
  assert.equal(s.get("b"), undefined);
  s.transaction(() => {
    s.put("a", 3);
    assert.throws(() =>
      s.transaction(() => {
        s.put("c", 3);
        throw new Error("inner");
      }),
    );
    s.put("d", 3);
  });
  assert.deepEqual([s.get("a"), s.get("c"), s.get("d")], [3, undefined, 3]);
  assert.throws(() => s.transaction(() => Promise.resolve(s.put("e", 1))), /must be synchronous/);
  assert.equal(s.get("e"), undefined);
});

test("action log: begin is idempotent per key, events are appended and cannot be rewritten", (t) => {
  const path = tempDb(t);
  const s = Store.open(path);
  t.after(() => s.close());
  const first = s.actions.begin("move:7:3", "tx", { game: 7 });
  assert.equal(first.created, true);
  assert.equal(first.action.status, "intent");
  s.actions.append("move:7:3", "signed", { hash: "0x01" });
  const again = s.actions.begin("move:7:3", "tx", { game: 999 });
  assert.equal(again.created, false);
  assert.deepEqual(again.action.payload, { game: 7 });
  assert.equal(again.action.status, "signed");
  assert.deepEqual(again.action.detail, { hash: "0x01" });
  s.actions.append("move:7:3", "confirmed", { block: 5 });
  assert.deepEqual(s.actions.events("move:7:3").map((e) => e.status), ["intent", "signed", "confirmed"]);
  assert.throws(() => s.actions.begin("move:7:3", "other-kind", {}), /kind tx/);
  assert.throws(() => s.actions.append("nope", "x"), /no action/);
  s.actions.begin("k2", "tx", null);
  assert.deepEqual(s.actions.list({ status: "confirmed" }).map((a) => a.key), ["move:7:3"]);
  assert.deepEqual(s.actions.list({ kind: "tx" }).map((a) => a.key), ["move:7:3", "k2"]);
  // another connection cannot rewrite history
  const raw = new DatabaseSync(path);
  t.after(() => raw.close());
  assert.throws(() => raw.exec("UPDATE action_events SET status = 'forged'"), /append-only/);
  assert.throws(() => raw.exec("DELETE FROM actions"), /never deleted/);
});

test("a writer killed with SIGKILL mid-loop leaves a consistent store that the next writer continues", async (t) => {
  const path = tempDb(t);
  const script = fileURLToPath(new URL("./fixtures/store-writer.ts", import.meta.url));
  let last = 0;
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", script, path], { stdio: ["ignore", "pipe", "inherit"] });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
    });
    const target = last + 100 + Math.floor(Math.random() * 200);
    await new Promise<void>((resolve, reject) => {
      let buf = "";
      child.stdout!.on("data", (d: Buffer) => {
        buf += d.toString();
        const seen = Number(buf.trim().split("\n").pop());
        if (seen >= target) resolve();
      });
      child.once("exit", (code) => reject(new Error(`writer exited early with ${code}`)));
      setTimeout(() => reject(new Error("writer too slow")), 30_000).unref();
    });
    // kill at a random moment after the target, most likely mid-transaction
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 30)));
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(child.pid!, "SIGKILL");
    await exited;
    assert.equal(child.signalCode, "SIGKILL");

    const s = Store.open(path);
    try {
      assert.equal(s.pragma("integrity_check"), "ok");
      const n = s.get<number>("n")!;
      assert.ok(n >= target && n > last, `round ${round}: n=${n}, target ${target}`);
      // every committed step is complete, none beyond n exists
      assert.equal(s.keys("item:").length, n);
      assert.equal(s.actions.list({ kind: "step" }).length, n);
      assert.equal(s.actions.list({ kind: "step", status: "done" }).length, n);
      assert.deepEqual(s.get(`item:${String(n).padStart(8, "0")}`), { n, pad: "x".repeat(200 + (n % 50)) });
      assert.equal(s.actions.get(`a-${n + 1}`), undefined);
      assert.deepEqual(s.actions.events(`a-${n}`).map((e) => e.status), ["intent", "done"]);
      last = n;
    } finally {
      s.close();
    }
  }
});
