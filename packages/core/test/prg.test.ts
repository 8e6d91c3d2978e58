import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat, sha256, u64le } from "../src/bytes.js";
import { InvalidDropoutRateError, keepMask, maskBit, maskThreshold, prgWord, prgWords } from "../src/prg.js";

const seed = (i: number) => sha256(Uint8Array.of(0x42, i));

describe("PRG and keep masks", () => {
  it("words are u32le of SHA256(y || u64le(block))", () => {
    const y = seed(1);
    const b0 = sha256(concat(y, u64le(0)));
    const b1 = sha256(concat(y, u64le(1)));
    const w = prgWords(y, 16);
    assert.equal(w[0], new DataView(b0.buffer, b0.byteOffset).getUint32(0, true));
    assert.equal(w[7], new DataView(b0.buffer, b0.byteOffset).getUint32(28, true));
    assert.equal(w[8], new DataView(b1.buffer, b1.byteOffset).getUint32(0, true));
    for (let e = 0; e < 16; e++) assert.equal(prgWord(y, e), w[e]);
  });

  it("threshold is floor(num * 2^32 / den)", () => {
    assert.equal(maskThreshold({ num: 0, den: 1 }), 0);
    assert.equal(maskThreshold({ num: 1, den: 2 }), 2 ** 31);
    assert.equal(maskThreshold({ num: 1, den: 3 }), Math.floor(2 ** 32 / 3));
    assert.equal(maskThreshold({ num: 4294967294, den: 4294967295 }), 4294967294);
  });

  it("keep rate matches 1 - p over many elements", () => {
    for (const [num, den] of [[1, 10], [1, 2], [1, 5], [9, 10]] as const) {
      const m = keepMask(seed(num), { num, den }, 200_000);
      const kept = m.reduce((s, b) => s + b, 0) / m.length;
      assert.ok(Math.abs(kept - (1 - num / den)) < 0.005, `${num}/${den}: kept ${kept}`);
      for (const e of [0, 7, 8, 12345]) assert.equal(maskBit(seed(num), { num, den }, e), m[e] === 1);
    }
  });

  it("p = 0 keeps everything; bad rates are refused with the rate named", () => {
    assert.ok(keepMask(seed(3), { num: 0, den: 7 }, 1000).every((b) => b === 1));
    assert.throws(() => maskThreshold({ num: 2, den: 2 }), InvalidDropoutRateError);
    assert.throws(() => maskThreshold({ num: -1, den: 2 }), /-1\/2/);
    assert.throws(() => maskThreshold({ num: 1, den: 2 ** 32 }), /den must be < 2\^32/);
    assert.throws(() => prgWords(new Uint8Array(31), 1), /32 bytes/);
  });
});
