import { test } from "node:test";
import assert from "node:assert/strict";
import { BatchSchedule, EpochPermutation, batchExamples, stepPosition, ConfigError } from "../src/index.js";

const nonce = (b: number) => new Uint8Array(32).fill(b);

test("each epoch's order is a permutation of [0, N) for several N (cycle walking never leaves the domain)", () => {
  for (const n of [1, 2, 3, 7, 100, 1000, 8000]) {
    const perm = new EpochPermutation({ nonce: nonce(1), n, batch: 1 }, 0).table();
    const seen = new Uint8Array(n);
    for (const v of perm) {
      assert.ok(v < n, `value ${v} outside [0, ${n})`);
      seen[v]!++;
    }
    assert.ok(seen.every((c) => c === 1), `N = ${n}: not a bijection`);
  }
});

test("the schedule depends on the nonce and the epoch, and a single lookup equals the cached table", () => {
  const p = { nonce: nonce(2), n: 8000, batch: 64 };
  const s = new BatchSchedule(p);
  assert.equal(s.stepsPerEpoch, 125);
  assert.deepEqual(stepPosition(p, 130), { epoch: 1, batchId: 5 });
  for (const step of [0, 1, 124, 125, 300]) assert.deepEqual(Array.from(s.examples(step)), Array.from(batchExamples(p, step)));
  const other = new BatchSchedule({ ...p, nonce: nonce(3) });
  assert.notDeepEqual(Array.from(s.examples(0)), Array.from(other.examples(0)));
  assert.notDeepEqual(Array.from(s.examples(0)), Array.from(s.examples(125)));
  // an epoch covers 125·64 = 8000 distinct examples
  const all = new Set<number>();
  for (let step = 0; step < 125; step++) for (const e of s.examples(step)) all.add(e);
  assert.equal(all.size, 8000);
});

test("bad schedule parameters are refused with the field named", () => {
  assert.throws(() => new BatchSchedule({ nonce: new Uint8Array(31), n: 10, batch: 2 }), (e: unknown) => e instanceof ConfigError && e.field === "nonce");
  assert.throws(() => new BatchSchedule({ nonce: nonce(1), n: 10, batch: 11 }), (e: unknown) => e instanceof ConfigError && e.field === "batch");
  assert.throws(() => stepPosition({ nonce: nonce(1), n: 10, batch: 2 }, -1), (e: unknown) => e instanceof ConfigError && e.field === "step");
});
