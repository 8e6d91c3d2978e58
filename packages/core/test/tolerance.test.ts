import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bitsOf, decode, fromBits, nextDown, nextUp } from "../src/float32.js";
import { SUMMATION_ORDERS, dotF32, firstRejectedAbove } from "../src/summation.js";
import { checkDot, checkElementwise } from "../src/tolerance.js";

/** Deterministic xorshift for property tests (fixed seed: failures reproduce). */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const fr = Math.fround;
const bits = (xs: number[]) => xs.map(bitsOf);

describe("float32 decoding", () => {
  it("decodes normals, subnormals, zeros exactly", () => {
    assert.deepEqual(decode(bitsOf(1)), { m: 0x800000n, e: -23 });
    assert.deepEqual(decode(1), { m: 1n, e: -149 });
    assert.deepEqual(decode(0x80000000), { m: -0n, e: -149 });
    assert.deepEqual(decode(bitsOf(-1.5)), { m: -0xc00000n, e: -23 });
    assert.throws(() => decode(0x7f800000), /not finite/);
  });
});

describe("dot-product rule (SPEC §6.1)", () => {
  it("accepts the same dot product summed in every order (property, 300 random cases)", () => {
    const r = rng(7);
    for (let t = 0; t < 300; t++) {
      const k = 1 + Math.floor(r() * 300);
      const scale = 2 ** Math.floor(r() * 40 - 20);
      const a = Array.from({ length: k }, () => fr((r() - 0.5) * scale));
      const b = Array.from({ length: k }, () => fr((r() - 0.5) * 4));
      for (const order of SUMMATION_ORDERS) {
        const c = dotF32(a, b, order);
        const v = checkDot(bits(a), bits(b), bitsOf(c));
        assert.ok(v.ok, `case ${t} k=${k} order ${order}: ${JSON.stringify(v)}`);
      }
    }
  });

  it("accepts every order under heavy cancellation and tiny (subnormal) products", () => {
    const a = [1e20, 1, -1e20, 3.5e-30, 1e-20].map(fr);
    const b = [1, 1, 1, 1e-10, 1e-20].map(fr);
    for (const order of SUMMATION_ORDERS) assert.ok(checkDot(bits(a), bits(b), bitsOf(dotF32(a, b, order))).ok, order);
  });

  it("rejects the first float32 outside the bound, on both sides, and accepts the last inside", () => {
    const r = rng(11);
    for (let t = 0; t < 40; t++) {
      const k = 1 + Math.floor(r() * 64);
      const a = Array.from({ length: k }, () => fr(r() - 0.3));
      const b = Array.from({ length: k }, () => fr(r() * 2 - 1));
      const c = dotF32(a, b, "f64-then-round");
      const accepts = (cb: number) => checkDot(bits(a), bits(b), cb).ok;
      const hi = firstRejectedAbove(c, accepts, c);
      assert.ok(!accepts(bitsOf(hi)));
      assert.ok(accepts(bitsOf(nextDown(hi))));
      const lo = -firstRejectedAbove(-c, (cb) => accepts(bitsOf(-fromBits(cb))), -c);
      assert.ok(!accepts(bitsOf(lo)));
      assert.ok(accepts(bitsOf(nextUp(lo))));
    }
  });

  it("NaN and Inf anywhere are violations; K must be in range", () => {
    assert.equal(checkDot([bitsOf(1)], [bitsOf(1)], 0x7fc00000).ok, false);
    assert.deepEqual(checkDot([0x7f800000], [bitsOf(1)], bitsOf(1)), { ok: false, reason: "non-finite", detail: "opened value 0x7f800000" });
    assert.equal(checkDot([], [], 0).ok, false);
    assert.equal(checkDot([1], [1, 2], 0).ok, false);
  });
});

describe("elementwise rule (SPEC §6.2)", () => {
  it("accepts the correctly rounded result and double rounding, rejects one step beyond 2^-23", () => {
    const x = fr(1.1);
    const y = fr(2.3);
    assert.ok(checkElementwise({ op: "add", inputs: [bitsOf(x), bitsOf(y)] }, bitsOf(fr(x + y))).ok);
    assert.ok(checkElementwise({ op: "mul", inputs: [bitsOf(x), bitsOf(y)] }, bitsOf(fr(x * y))).ok);
    assert.ok(checkElementwise({ op: "relu", inputs: [bitsOf(-x)] }, 0).ok);
    assert.equal(checkElementwise({ op: "relu", inputs: [bitsOf(-x)] }, bitsOf(1e-30)).ok, false, "relu(-x) must be 0");
    const keep = { op: "dropoutKeep" as const, inputs: [bitsOf(x)], num: 1, den: 3 };
    const good = fr(x * 1.5);
    assert.ok(checkElementwise(keep, bitsOf(good)).ok);
    let c = good;
    for (let i = 0; i < 4; i++) c = nextUp(c);
    assert.ok(!checkElementwise(keep, bitsOf(c)).ok, "4 ulps away is outside 2^-23 relative");
    assert.ok(!checkElementwise(keep, bitsOf(x)).ok, "unscaled value rejected");
  });

  it("accepts flush-to-zero of subnormal results, rejects non-finite", () => {
    const tiny = fromBits(0x00000010);
    assert.ok(checkElementwise({ op: "copy", inputs: [bitsOf(tiny)] }, 0).ok);
    assert.ok(checkElementwise({ op: "mul", inputs: [bitsOf(fr(1e-30)), bitsOf(fr(1e-20))] }, 0).ok);
    assert.equal(checkElementwise({ op: "copy", inputs: [0x7fc00000] }, 0x7fc00000).ok, false);
    assert.equal(checkElementwise({ op: "dropoutKeep", inputs: [0], num: 3, den: 3 }, 0).ok, false);
  });
});

describe("on-chain twin of the dot-product rule (checkDotOnchain)", () => {
  it("accepts whatever the exact rule accepts, and agrees with it off the edge (property, 300 cases)", async () => {
    const { checkDotOnchain } = await import("../src/tolerance.js");
    const r = rng(23);
    let rejectedBoth = 0;
    for (let t = 0; t < 300; t++) {
      const k = 1 + Math.floor(r() * 200);
      const a = Array.from({ length: k }, () => fr((r() - 0.5) * 2 ** Math.floor(r() * 30 - 15)));
      const b = Array.from({ length: k }, () => fr(r() - 0.5));
      const c = dotF32(a, b, "sequential-f32");
      const exact = (cb: number) => checkDot(bits(a), bits(b), cb).ok;
      const edge = firstRejectedAbove(c, exact, c);
      for (const cand of [c, nextDown(edge), edge, nextUp(nextUp(edge)), fr(c * 1.01 + 1e-3)]) {
        const e = exact(bitsOf(cand));
        const o = checkDotOnchain(bits(a), bits(b), bitsOf(cand)).ok;
        if (e) assert.ok(o, `case ${t}: exact accepts ${cand}, on-chain twin must too`);
        if (!e && !o) rejectedBoth++;
      }
    }
    assert.ok(rejectedBoth > 300, `the twin must still reject values outside the bound (${rejectedBoth})`);
  });

  it("agrees with every dot case of vectors/tolerance.json", async () => {
    const { checkDotOnchain } = await import("../src/tolerance.js");
    const { readFileSync } = await import("node:fs");
    const v = JSON.parse(readFileSync(new URL("../../../vectors/tolerance.json", import.meta.url), "utf8"));
    for (const d of v.dot) assert.equal(checkDotOnchain(d.a, d.b, d.claimed).ok, d.accept, d.name);
  });
});
