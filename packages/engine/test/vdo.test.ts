import { test } from "node:test";
import assert from "node:assert/strict";
import { keepMask, toHex, vdoFields, QuantizationRangeError } from "@refereed/core";
import { fastKeepMask, journalHashes } from "../src/index.js";
import { testValues } from "./helpers.js";

test("fastKeepMask equals core keepMask for several seeds, rates and lengths", () => {
  for (const rate of [{ num: 0, den: 1 }, { num: 1, den: 10 }, { num: 1, den: 2 }, { num: 99, den: 100 }, { num: 123456, den: 4000000000 }]) {
    for (const n of [1, 7, 8, 9, 1000, 8192]) {
      const y = new Uint8Array(32).map((_, i) => (i * 31 + n + rate.num) & 0xff);
      assert.deepEqual(fastKeepMask(y, rate, n), keepMask(y, rate, n), `rate ${rate.num}/${rate.den}, n = ${n}`);
    }
  }
});

test("journalHashes equals core vdoFields (maskHash, qHash), including exact halves and negative values", () => {
  const x = testValues(4096, 3, 100);
  // exact .5 ties of q·den/(den−num) and of x·65536
  x[0] = 0.5 / 65536;
  x[1] = -0.5 / 65536;
  x[2] = 1.5 / 65536;
  x[3] = -2.5 / 65536;
  x[4] = 3 / 65536; // q = 3, q·10/9 not a tie; q·2/1 for p = 1/2
  x[5] = -0;
  x[6] = 1e-30;
  for (const rate of [{ num: 1, den: 10 }, { num: 1, den: 2 }, { num: 1, den: 3 }, { num: 2, den: 5 }, { num: 5, den: 2 ** 21 }]) {
    const mask = keepMask(new Uint8Array(32).fill(rate.num), rate, x.length);
    const core = vdoFields(x, mask, rate);
    const fast = journalHashes(x, mask, rate);
    assert.equal(toHex(fast.maskHash), toHex(core.maskHash), `maskHash, rate ${rate.num}/${rate.den}`);
    assert.equal(toHex(fast.qHash), toHex(core.qHash), `qHash, rate ${rate.num}/${rate.den}`);
  }
});

test("journalHashes refuses values whose quantization does not fit int32, like core", () => {
  const x = Float32Array.of(1, 40000);
  const mask = Uint8Array.of(1, 1);
  assert.throws(() => vdoFields(x, mask, { num: 1, den: 10 }), QuantizationRangeError);
  assert.throws(() => journalHashes(x, mask, { num: 1, den: 10 }), QuantizationRangeError);
  assert.throws(() => journalHashes(Float32Array.of(NaN), Uint8Array.of(1), { num: 1, den: 10 }), /not finite/);
});
