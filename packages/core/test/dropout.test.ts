import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "../src/bytes.js";
import { applyDropout, checkDropoutElement, quantize, vdoFields, QuantizationRangeError } from "../src/dropout.js";
import { bitsOf, fromBits, nextUp } from "../src/float32.js";

const y = sha256(Uint8Array.of(9));

describe("dropout semantics (SPEC §5.3)", () => {
  it("dropped elements are exactly zero, kept ones scaled by den/(den-num), and each passes the one-step rule", () => {
    const x = Float32Array.from({ length: 500 }, (_, i) => Math.sin(i) * 4);
    const rate = { num: 1, den: 3 };
    const { mask, out } = applyDropout(x, y, rate);
    let dropped = 0;
    for (let e = 0; e < x.length; e++) {
      if (!mask[e]) {
        dropped++;
        assert.equal(bitsOf(out[e]!), 0);
      } else assert.equal(out[e], Math.fround(x[e]! * 1.5));
      assert.ok(checkDropoutElement(y, rate, e, bitsOf(x[e]!), bitsOf(out[e]!)).ok, `element ${e}`);
    }
    assert.ok(dropped > 120 && dropped < 220, `dropped ${dropped} of 500 at p = 1/3`);
  });

  it("rejects a kept element zeroed, a dropped element kept, and a scaled value off by ulps", () => {
    const rate = { num: 1, den: 2 };
    const x = Float32Array.from({ length: 64 }, (_, i) => 1 + i);
    const { mask, out } = applyDropout(x, y, rate);
    const kept = mask.indexOf(1);
    const drop = mask.indexOf(0);
    assert.equal(checkDropoutElement(y, rate, kept, bitsOf(x[kept]!), 0).ok, false);
    assert.equal(checkDropoutElement(y, rate, drop, bitsOf(x[drop]!), bitsOf(x[drop]! * 2)).ok, false);
    let off = out[kept]!;
    for (let i = 0; i < 3; i++) off = nextUp(off);
    assert.equal(checkDropoutElement(y, rate, kept, bitsOf(x[kept]!), bitsOf(off)).ok, false);
    assert.ok(checkDropoutElement(y, rate, drop, bitsOf(x[drop]!), 0x80000000).ok, "-0 is an exact zero");
  });

  it("quantizes with round-half-away-from-zero, exactly", () => {
    assert.equal(quantize(bitsOf(0.5 / 65536)), 1n);
    assert.equal(quantize(bitsOf(-0.5 / 65536)), -1n);
    assert.equal(quantize(bitsOf(Math.fround(0.49999997 / 65536))), 0n);
    assert.equal(quantize(bitsOf(1.25)), 81920n);
    assert.equal(quantize(fromBits(1)), 0n);
    const v = vdoFields(Float32Array.of(1, -1, 0.25), Uint8Array.of(1, 1, 0), { num: 1, den: 3 });
    assert.deepEqual(Array.from(v.qPrime), [98304, -98304, 0]);
    assert.throws(() => vdoFields(Float32Array.of(40000), Uint8Array.of(1), { num: 0, den: 1 }), QuantizationRangeError);
  });
});
