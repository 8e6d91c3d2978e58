// The project's test command (`npm test`): compiles the contracts, runs the Solidity tests (Hardhat 3, fuzz and
// invariant tests included) and the TypeScript tests (node:test), then prints one closing line
// `N passed, N failed` summing both. Exits non-zero if anything failed or if no test ran.
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const only = args.find((a) => a === "--ts" || a === "--sol");

function run(cmd, argv, { capture = false } = {}) {
  const r = spawnSync(cmd, argv, { stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit", encoding: "utf8", env: process.env });
  if (capture) {
    process.stdout.write(r.stdout ?? "");
    process.stderr.write(r.stderr ?? "");
  }
  return r;
}

let passed = 0;
let failed = 0;
let skipped = 0;
// the engine's native SHA-256 tree (ADR 0013): rebuilt if its source changed since `npm install`; never fails
run("node", ["scripts/build-native.mjs", "--quiet"]);
const build = run("hardhat", ["build", "--quiet"]);
if (build.status !== 0) {
  console.error("contract build failed");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

if (only !== "--ts") {
  const sol = run("hardhat", ["test", "solidity", "--no-compile"], { capture: true });
  const out = `${sol.stdout}\n${sol.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
  const p = [...out.matchAll(/(\d+) passing/g)].reduce((s, m) => s + Number(m[1]), 0);
  const f = [...out.matchAll(/(\d+) failing/g)].reduce((s, m) => s + Number(m[1]), 0);
  passed += p;
  failed += f;
  if (sol.status !== 0 && f === 0) failed += 1; // crashed without reporting
}

if (only !== "--sol") {
  const ts = run(
    "node",
    [
      "--import",
      "tsx",
      "--test",
      "--test-concurrency=1",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=tap",
      "--test-reporter-destination=.test-results.tap",
      "packages/*/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
  );
  const { readFileSync } = await import("node:fs");
  let tap = "";
  try {
    tap = readFileSync(".test-results.tap", "utf8");
  } catch {
    /* no report: counted below */
  }
  const num = (k) => Number(tap.match(new RegExp(`^# ${k} (\\d+)$`, "m"))?.[1] ?? 0);
  passed += num("pass");
  failed += num("fail") + num("cancelled");
  skipped += num("skipped");
  // a skipped test is named, with its reason, so that no skip is silent
  for (const m of tap.matchAll(/^\s*ok \d+ - (.*) # SKIP ?(.*)$/gm)) console.log(`skipped: ${m[1]} (${m[2] || "no reason given"})`);
  if (ts.status !== 0 && num("fail") + num("cancelled") === 0) failed += 1;
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
