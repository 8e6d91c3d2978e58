import { test } from "node:test";
import assert from "node:assert/strict";
import { checkDropoutElement, keepMask, bitsOf } from "@refereed/core";
import { Executor, dropoutApply, mlpTemplate } from "../src/index.js";
import { testValues } from "./helpers.js";

test("dropout: dropped elements are exactly +0 (bits 0x00000000), kept ones are fround(x·den/(den−num)) and pass core's one-step rule", () => {
  for (const rate of [{ num: 1, den: 10 }, { num: 1, den: 5 }, { num: 1, den: 3 }, { num: 7, den: 11 }]) {
    const n = 5000;
    const y = new Uint8Array(32).fill(rate.num * 16 + rate.den);
    const x = testValues(n, rate.den, 3);
    const mask = keepMask(y, rate, n);
    const out = new Float32Array(n);
    dropoutApply(x, mask, rate.den / (rate.den - rate.num), out);
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      if (!mask[i]) {
        dropped++;
        assert.equal(bitsOf(out[i]!), 0, `element ${i} dropped but bits 0x${bitsOf(out[i]!).toString(16)}`);
      } else {
        assert.equal(out[i], Math.fround(x[i]! * (rate.den / (rate.den - rate.num))), `element ${i}`);
      }
      if (i % 50 === 0) assert.deepEqual(checkDropoutElement(y, rate, i, bitsOf(x[i]!), bitsOf(out[i]!)), { ok: true });
    }
    const p = rate.num / rate.den;
    assert.ok(Math.abs(dropped / n - p) < 4 * Math.sqrt((p * (1 - p)) / n), `drop fraction ${dropped / n} vs p = ${p}`);
  }
});

test("dropout: a negative-zero or negative kept input keeps its sign; the engine never writes -0 for a dropped element", () => {
  const x = Float32Array.of(-0, -1.5, 2, -3);
  const out = new Float32Array(4);
  dropoutApply(x, Uint8Array.of(1, 1, 0, 0), 1.25, out);
  assert.ok(Object.is(out[0], -0));
  assert.equal(out[1], -1.875);
  assert.ok(Object.is(out[2], 0) && Object.is(out[3], 0));
});

test("dropout in the graph: forward and backward nodes use the mask of their layer; the scale is den/(den−num)", () => {
  const t = mlpTemplate({ sizes: [6, 16, 8, 3], batch: 4, dropout: [{ num: 1, den: 2 }, { num: 1, den: 4 }], lr: 0.1 });
  const params = t.params.map((p, i) => testValues(p.shape.reduce((a, b) => a * b, 1), 30 + i));
  const masks = t.dropout.map((d, i) => keepMask(new Uint8Array(32).fill(i + 1), d, t.nodes[d.node]!.shape.reduce((a, b) => a * b, 1)));
  const ex = new Executor(t);
  ex.run({ params, x: testValues(24, 40), y: Float32Array.of(0, 1, 2, 1), masks });
  for (const d of t.dropout) {
    const fwd = t.nodes[d.node]!;
    const input = ex.outputs[fwd.inputs[0]!]!;
    const out = ex.outputs[fwd.id]!;
    const s = d.den / (d.den - d.num);
    for (let i = 0; i < out.length; i++) assert.equal(out[i], masks[d.ordinal]![i] ? Math.fround(input[i]! * s) : 0);
    const bwd = t.nodes.find((n) => n.op === "dropout_bwd" && n.attrs.layer === d.layer)!;
    const g = ex.outputs[bwd.inputs[0]!]!;
    const gout = ex.outputs[bwd.id]!;
    for (let i = 0; i < gout.length; i++) assert.equal(gout[i], masks[d.ordinal]![i] ? Math.fround(g[i]! * s) : 0);
  }
});
