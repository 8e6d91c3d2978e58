/**
 * End to end, with every party its own process against a local JSON-RPC node (`hardhat node` on 127.0.0.1):
 * the demo script at a small size. An honest job finalizes and pays; each of the seven attacks is caught by the
 * challenger daemon, disputed to one element, adjudicated on-chain, and the trainer is slashed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("demo at small size: honest job finalizes, every attack is caught and slashed (separate processes, real RPC)", { timeout: 420_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "refereed-e2e-"));
  const report = join(dir, "report.json");
  try {
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/demo.ts"], {
      env: { ...process.env, DEMO_HONEST_STEPS: "8", DEMO_ATTACK_STEPS: "4", DEMO_TIMEOUT_S: "300", DEMO_REPORT: report, DEMO_KEEP: "" },
      encoding: "utf8",
      timeout: 400_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, `demo exited ${r.status}:\n${out.slice(-4000)}`);
    const rep = JSON.parse(readFileSync(report, "utf8")) as {
      scenarios: { name: string; caught: boolean; trainerSlashed: boolean; transactions: number; gas: number }[];
      honest: { rollupsFinalized: number; rollupsTotal: number; completed: boolean };
    };
    assert.equal(rep.honest.completed, true, "the honest job completes");
    assert.equal(rep.honest.rollupsFinalized, rep.honest.rollupsTotal);
    assert.deepEqual(
      rep.scenarios.map((s) => s.name).sort(),
      ["activation-tamper", "batch-substitution", "dropout-attack", "p-tamper", "seed-tamper", "skipped-operator", "wrong-update"],
    );
    for (const s of rep.scenarios) {
      assert.ok(s.caught && s.trainerSlashed, `${s.name} caught and slashed`);
      assert.ok(s.transactions >= 2 && s.gas > 0, `${s.name}: a real game was played (${s.transactions} txs, ${s.gas} gas)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
