import { test } from "node:test";
import assert from "node:assert/strict";
import { detExp, detLog, detSqrt } from "../src/index.js";
import { testValues } from "./helpers.js";

test("detExp is within 2^-50 relative of Math.exp on [-100, 80] and handles the range ends", () => {
  let worst = 0;
  const xs = testValues(100_000, 11);
  for (let i = 0; i < xs.length; i++) {
    const x = i % 2 ? xs[i]! * 100 : xs[i]! * 80;
    const e = Math.exp(x);
    worst = Math.max(worst, Math.abs(detExp(x) - e) / e);
  }
  assert.ok(worst < 2 ** -50, `worst relative error ${worst}`);
  assert.equal(detExp(0), 1);
  assert.equal(detExp(-1000), 0);
  assert.equal(detExp(1000), Infinity);
  assert.ok(Number.isNaN(detExp(NaN)));
  // subnormal results stay close
  assert.ok(Math.abs(detExp(-740) - Math.exp(-740)) <= Math.exp(-740) * 1e-3);
});

test("detLog is within 2^-50 relative of Math.log (or 2^-50 absolute near 1)", () => {
  let worst = 0;
  const xs = testValues(100_000, 12);
  for (let i = 0; i < xs.length; i++) {
    const x = Math.abs(xs[i]!) * 10 ** ((i % 40) - 20) + 1e-300;
    const e = Math.log(x);
    worst = Math.max(worst, Math.abs(detLog(x) - e) / Math.max(Math.abs(e), 1));
  }
  assert.ok(worst < 2 ** -50, `worst error ${worst}`);
  assert.equal(detLog(1), 0);
  assert.equal(detLog(0), -Infinity);
  assert.ok(Number.isNaN(detLog(-1)));
  assert.ok(Math.abs(detLog(5e-324) - Math.log(5e-324)) < 1e-12);
});

test("detSqrt agrees with Math.sqrt to one ulp and rejects negative input", () => {
  for (const x of [6 / 784, 6 / 128, 6 / 64, 2, 1e-10, 12345.678]) {
    const r = detSqrt(x);
    assert.ok(Math.abs(r - Math.sqrt(x)) <= Math.sqrt(x) * 2 ** -52, `sqrt(${x}) = ${r}`);
  }
  assert.throws(() => detSqrt(-1), /must be finite and >= 0/);
});
