import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { privateKeyToAccount } from "viem/accounts";
import {
  BotMetrics,
  InvalidPrivateKeyError,
  MalformedKeystoreError,
  MissingKeyError,
  WrongPasswordError,
  componentLogger,
  createKeystore,
  createLogger,
  loadAccount,
  loadPrivateKey,
  startMetricsServer,
} from "../src/index.js";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "refereed-keys-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("keystore round trip: createKeystore then loadAccount with the password (argument or env) gives the same account", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "trainer.json");
  const { address } = await createKeystore(path, "correct horse", { privateKey: KEY, scryptN: 1024 });
  assert.equal(address, privateKeyToAccount(KEY).address);
  const a = await loadAccount({ keystore: path, password: "correct horse" });
  assert.equal(a.address, address);
  const b = await loadAccount({ keystore: path, env: { REFEREED_KEYSTORE_PASSWORD: "correct horse" } });
  assert.equal(b.address, address);
  assert.equal(await loadPrivateKey({ keystore: path, password: "correct horse" }), KEY);
  // a fresh random key also round-trips
  const r = await createKeystore(join(dir, "r.json"), "pw", { scryptN: 1024 });
  assert.equal((await loadAccount({ keystore: r.path, password: "pw" })).address, r.address);
});

test("key errors are clear: wrong password, missing password, malformed or missing file, missing or bad env key", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "k.json");
  await createKeystore(path, "right", { privateKey: KEY, scryptN: 1024 });
  await assert.rejects(loadAccount({ keystore: path, password: "wrong" }), (e: unknown) => e instanceof WrongPasswordError && e.source === path && /wrong keystore password/.test(e.message));
  await assert.rejects(loadAccount({ keystore: path, env: {} }), (e: unknown) => e instanceof MissingKeyError && /REFEREED_KEYSTORE_PASSWORD/.test(e.message));
  writeFileSync(join(dir, "bad.json"), "{not json");
  await assert.rejects(loadAccount({ keystore: join(dir, "bad.json"), password: "x" }), (e: unknown) => e instanceof MalformedKeystoreError && /not valid JSON/.test(e.message));
  writeFileSync(join(dir, "other.json"), JSON.stringify({ hello: "world" }));
  await assert.rejects(loadAccount({ keystore: join(dir, "other.json"), password: "x" }), (e: unknown) => e instanceof MalformedKeystoreError && /not an encrypted keystore/.test(e.message));
  await assert.rejects(loadAccount({ keystore: join(dir, "absent.json"), password: "x" }), (e: unknown) => e instanceof MalformedKeystoreError && /ENOENT/.test(e.message));
  // from the environment
  assert.equal((await loadAccount({ env: { REFEREED_PRIVATE_KEY: KEY } })).address, privateKeyToAccount(KEY).address);
  assert.equal((await loadAccount({ env: { REFEREED_PRIVATE_KEY: KEY.slice(2) } })).address, privateKeyToAccount(KEY).address);
  await assert.rejects(loadAccount({ env: {} }), (e: unknown) => e instanceof MissingKeyError && /REFEREED_PRIVATE_KEY/.test(e.message));
  await assert.rejects(loadAccount({ env: { REFEREED_PRIVATE_KEY: "0x1234" } }), (e: unknown) => e instanceof InvalidPrivateKeyError && /64 hex digits/.test(e.message) && !e.message.includes("0x1234"));
  await assert.rejects(loadAccount({ env: { REFEREED_PRIVATE_KEY: `0x${"0".repeat(64)}` } }), InvalidPrivateKeyError);
});

test("metrics are served on 127.0.0.1 with the bot prefix, in the Prometheus text format", async (t) => {
  const m = new BotMetrics("refereed_challenger");
  const seen = m.counter("rollups_seen_total", "rollups seen", ["job"]);
  const margin = m.gauge("clock_margin_seconds", "seconds left on our clock");
  seen.inc({ job: "1" });
  seen.inc({ job: "1" });
  margin.set(42.5);
  assert.throws(() => m.counter("rollups_seen_total", "again"), /already registered/);
  assert.throws(() => m.gauge("bad-name", "x"), /must match/);
  const server = await startMetricsServer(0, m);
  t.after(() => server.close());
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const res = await fetch(server.url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
  const text = await res.text();
  assert.match(text, /^refereed_challenger_rollups_seen_total\{job="1"\} 2$/m);
  assert.match(text, /^refereed_challenger_clock_margin_seconds 42\.5$/m);
  assert.match(text, /^refereed_challenger_process_cpu_user_seconds_total /m);
  assert.equal((await fetch(server.url.replace("/metrics", "/other"))).status, 404);
});

/** A stream collecting the lines written to it. */
function lineSink() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      cb();
    },
  });
  return { lines, sink };
}

test("logs are one JSON line per event, with the bot name, the component of child loggers, and errors with stacks", () => {
  const { lines, sink } = lineSink();
  const log = createLogger({ name: "challenger-1", level: "debug", destination: sink });
  const follower = componentLogger(log, "follower", { chain: 31337 });
  follower.info({ block: 12 }, "delivered logs");
  follower.debug("polling");
  log.error({ err: new Error("rpc down", { cause: new Error("ECONNREFUSED") }) }, "failed");
  log.trace("not at this level");
  assert.equal(lines.length, 3);
  const [a, b, c] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(a!.name, "challenger-1");
  assert.equal(a!.component, "follower");
  assert.equal(a!.chain, 31337);
  assert.equal(a!.block, 12);
  assert.equal(a!.msg, "delivered logs");
  assert.equal(a!.level, 30);
  assert.match(String(a!.time), /^\d{4}-\d\d-\d\dT/);
  assert.equal(b!.level, 20);
  const err = c!.err as { message: string; stack: string };
  assert.match(err.message, /rpc down/);
  assert.match(err.stack, /ECONNREFUSED|rpc down/);
});

test("an error in a log line keeps its type, message, stack, own fields and cause, without ABIs and with long text clipped", () => {
  const { lines, sink } = lineSink();
  const log = createLogger({ name: "t", destination: sink });
  class FakeViemError extends Error {
    readonly shortMessage = "The contract function \"step\" reverted.";
    readonly abi = Array.from({ length: 200 }, (_, i) => ({ type: "function", name: `f${i}`, inputs: [] }));
    readonly args = [1n, "0x" + "ab".repeat(5000)];
    readonly errorName = "ClockExpired";
  }
  const e = new FakeViemError("x".repeat(10_000), { cause: new Error("inner") });
  log.error({ err: e }, "walk failed");
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.length < 12_000, `a ${lines[0]!.length}-char line`);
  const err = (JSON.parse(lines[0]!) as { err: Record<string, unknown> }).err;
  assert.equal(err.type, "FakeViemError");
  assert.equal(err.errorName, "ClockExpired");
  assert.equal(err.shortMessage, "The contract function \"step\" reverted.");
  assert.equal(err.abi, undefined, "no ABI");
  assert.match(String(err.message), /… \(\d+ chars\)$/);
  assert.match(JSON.stringify(err.args), /chars/);
  assert.match(String(err.stack), /\n    at /, "the frames are kept");
  assert.ok(String(err.stack).length < 6_000);
  assert.equal((err.cause as { message: string }).message, "inner");
});
