/** Runs the real `refereed` binary (node_modules/.bin/refereed, as `npx refereed` does) as a child process. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fromHex, sha256, toHex, utf8 } from "@refereed/core/bytes";
import { keepMask, maskString } from "@refereed/core/prg";
import { popVerify, vrfContext, vrfEval, vrfKeygen, vrfVerify } from "@refereed/core/vrf";
import { bin, runCli } from "./run-cli.js";

const cli = (...args: string[]) => runCli(args);

/** Parses "key value" lines. */
function fields(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.trim().split("\n")) {
    const [k, v] = line.split(" ");
    if (k && v) out[k] = v;
  }
  return out;
}

const seedHex = toHex(sha256(utf8("cli test seed"))).slice(2);
const ctx = { modelId: sha256(utf8("cli model")), step: 41n, batchId: 9n, nonce: sha256(utf8("cli nonce")), layerId: 2 };
const ctxArgs = (c: typeof ctx) => [
  "--model-id", toHex(c.modelId), "--step", String(c.step), "--batch-id", String(c.batchId), "--nonce", toHex(c.nonce), "--layer-id", String(c.layerId),
];

describe("refereed CLI", () => {
  it("the bin is linked into node_modules/.bin (npm workspaces)", () => {
    assert.ok(existsSync(bin), `${bin} missing: run npm install at the repository root`);
  });

  it("mask prints keepMask as 0/1 for several rates and lengths", async () => {
    for (const [p, num, den, n] of [["1/2", 1, 2, 100], ["1/10", 1, 10, 37], ["0/1", 0, 1, 16], ["999/1000", 999, 1000, 64]] as const) {
      const r = await cli("mask", "--seed", seedHex, "--p", p, "--count", String(n));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), maskString(keepMask(fromHex(seedHex), { num, den }, n)));
      assert.equal(r.stdout.trim().length, n);
    }
  });

  it("mask --json prints exactly {keep}", async () => {
    const r = await cli("mask", "--seed", `0x${seedHex}`, "--p", "1/3", "--count", "50", "--json");
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j), ["keep"]);
    assert.equal(j.keep, maskString(keepMask(fromHex(seedHex), { num: 1, den: 3 }, 50)));
  });

  it("vrf keygen --seed is deterministic and matches the library; the pop verifies", async () => {
    const ikm = sha256(utf8("cli key"));
    const r = await cli("vrf", "keygen", "--seed", toHex(ikm), "--json");
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { sk: string; pk: string; pop: string };
    const k = vrfKeygen(ikm);
    assert.deepEqual(j, { sk: toHex(k.sk), pk: toHex(k.pk), pop: toHex(k.pop) });
    assert.ok(popVerify(fromHex(j.pk), fromHex(j.pop)).valid);
  });

  it("vrf keygen → eval → verify round trip (text output), then a wrong context fails with exit 1", async () => {
    const kg = await cli("vrf", "keygen");
    assert.equal(kg.code, 0, kg.stderr);
    const k = fields(kg.stdout);
    assert.match(k.sk!, /^0x[0-9a-f]{64}$/);
    assert.match(k.pk!, /^0x[0-9a-f]{512}$/);
    assert.match(k.pop!, /^0x[0-9a-f]{256}$/);

    const ev = await cli("vrf", "eval", "--sk", k.sk!, ...ctxArgs(ctx));
    assert.equal(ev.code, 0, ev.stderr);
    const e = fields(ev.stdout);
    assert.equal(e.x, toHex(vrfContext(ctx)));
    const lib = vrfEval(fromHex(k.sk!), vrfContext(ctx));
    assert.equal(e.pi, toHex(lib.pi));
    assert.equal(e.y, toHex(lib.y));

    const ok = await cli("vrf", "verify", "--pk", k.pk!, "--pi", e.pi!, ...ctxArgs(ctx));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(fields(ok.stdout).y, e.y);

    const bad = await cli("vrf", "verify", "--pk", k.pk!, "--pi", e.pi!, ...ctxArgs({ ...ctx, step: 42n }));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /verification failed: pi: pairing-mismatch/);
    assert.equal(bad.stdout, "");
  });

  it("vrf verify --json reports the reason of a refused proof (infinity) and y of a valid one", async () => {
    const k = vrfKeygen(sha256(utf8("json key")));
    const { pi, y } = vrfEval(k.sk, vrfContext(ctx));
    const good = await cli("vrf", "verify", "--pk", toHex(k.pk), "--pi", toHex(pi), ...ctxArgs(ctx), "--json");
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual(JSON.parse(good.stdout), { valid: true, x: toHex(vrfContext(ctx)), y: toHex(y) });
    const inf = await cli("vrf", "verify", "--pk", toHex(k.pk), "--pi", toHex(new Uint8Array(128)), ...ctxArgs(ctx), "--json");
    assert.equal(inf.code, 1);
    const j = JSON.parse(inf.stdout) as { valid: boolean; reason: string };
    assert.equal(j.valid, false);
    assert.equal(j.reason, "infinity");
    assert.equal(vrfVerify(k.pk, vrfContext(ctx), new Uint8Array(128)).valid, false);
  });

  it("u64 maxima are accepted for --step and --batch-id; 2^64 is refused naming --step", async () => {
    const k = vrfKeygen(sha256(utf8("max key")));
    const big = { ...ctx, step: 18446744073709551615n, batchId: 18446744073709551615n, layerId: 4294967295 };
    const ev = await cli("vrf", "eval", "--sk", toHex(k.sk), ...ctxArgs(big), "--json");
    assert.equal(ev.code, 0, ev.stderr);
    assert.equal((JSON.parse(ev.stdout) as { x: string }).x, toHex(vrfContext(big)));
    const over = await cli("vrf", "eval", "--sk", toHex(k.sk), ...ctxArgs({ ...big, step: 18446744073709551616n }));
    assert.equal(over.code, 2);
    assert.match(over.stderr, /^error: --step must be <= 18446744073709551615, got 18446744073709551616/);
  });

  it("bad arguments exit 2 and name the argument", async () => {
    const k = vrfKeygen(sha256(utf8("bad args key")));
    const cases: [string[], RegExp][] = [
      [["mask", "--seed", "0123456789", "--p", "1/2", "--count", "3"], /^error: --seed must be 64 hex characters \(32 bytes\), got 10$/m],
      [["mask", "--seed", "zz".repeat(32), "--p", "1/2", "--count", "3"], /^error: --seed must be hexadecimal/m],
      [["mask", "--seed", seedHex, "--p", "2/1", "--count", "3"], /^error: --p .*num < den/m],
      [["mask", "--seed", seedHex, "--p", "0.5", "--count", "3"], /^error: --p must be a fraction num\/den/m],
      [["mask", "--seed", seedHex, "--p", "1/2", "--count=-1"], /^error: --count must be a non-negative decimal integer, got '-1'/m],
      [["mask", "--seed", seedHex, "--p", "1/2", "--count", "-1"], /^error: Option '--count' argument is ambiguous/m],
      [["mask", "--seed", seedHex, "--p", "1/2", "--count", "ten"], /^error: --count must be a non-negative decimal integer, got 'ten'/m],
      [["mask", "--seed", seedHex, "--p", "1/2"], /^error: --count is required/m],
      [["mask", "--seed", seedHex, "--p", "1/2", "--count", "3", "--frobnicate"], /^error: Unknown option '--frobnicate'/m],
      [["vrf", "keygen", "--seed", "00"], /^error: --seed must be at least 64 hex characters \(32 bytes\), got 2/m],
      [["vrf", "eval", ...ctxArgs(ctx)], /^error: --sk is required/m],
      [["vrf", "eval", "--sk", `0x${"00".repeat(32)}`, ...ctxArgs(ctx)], /^error: --sk invalid secret key: sk is zero/m],
      [["vrf", "eval", "--sk", toHex(k.sk), ...ctxArgs(ctx), "--layer-id", "4294967296"], /^error: --layer-id must be <= 4294967295/m],
      [["vrf", "eval", "--sk", toHex(k.sk), ...ctxArgs({ ...ctx, nonce: new Uint8Array(31) })], /^error: --nonce must be 64 hex characters \(32 bytes\), got 62/m],
      [["vrf", "verify", "--pk", toHex(k.pk).slice(0, -2), "--pi", toHex(new Uint8Array(128)), ...ctxArgs(ctx)], /^error: --pk must be 512 hex characters \(256 bytes\), got 510/m],
      [["vrf", "frob"], /^error: unknown vrf subcommand 'frob'/m],
      [["frob"], /^error: unknown command 'frob'/m],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `exit code of ${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern, `stderr of ${args.join(" ")}`);
    }
  });

  it("--help works for every command and exits 0", async () => {
    for (const [args, pattern] of [
      [["--help"], /usage: refereed <command>/],
      [["mask", "--help"], /usage: refereed mask --seed/],
      [["vrf", "--help"], /usage: refereed vrf <keygen\|eval\|verify>/],
      [["vrf", "keygen", "--help"], /usage: refereed vrf keygen/],
      [["vrf", "eval", "--help"], /usage: refereed vrf eval --sk/],
      [["vrf", "verify", "--help"], /usage: refereed vrf verify --pk/],
    ] as const) {
      const r = await cli(...args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, pattern);
    }
  });
});
