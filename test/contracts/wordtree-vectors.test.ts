/**
 * LibWordTree (Solidity, through contracts/harness/WordTreeHarness.sol on the in-process chain) against
 * vectors/wordtree.json (made by packages/core/src/wordtree.ts): the same roots, the same element bits, the same
 * refusals.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import type { Hex } from "viem";
import { fromHex, toHex } from "../../packages/core/src/bytes.js";

const v = JSON.parse(readFileSync(new URL("../../vectors/wordtree.json", import.meta.url), "utf8")) as {
  cases: { chunk: Hex; root: Hex; openings: { offset: number; opening: Hex; bits: number }[] }[];
};
const conn = await network.create();
let harness: Awaited<ReturnType<typeof conn.viem.deployContract<"WordTreeHarness">>>;

describe("LibWordTree against vectors/wordtree.json", () => {
  before(async () => {
    harness = await conn.viem.deployContract("WordTreeHarness");
  });
  for (const c of v.cases) {
    it(`chunk of ${(c.chunk.length - 2) / 2} bytes`, async () => {
      assert.equal(await harness.read.root([c.chunk]), c.root);
      for (const o of c.openings) {
        assert.equal(await harness.read.openElement([c.root, BigInt(o.offset), o.opening]), o.bits);
        const bad = fromHex(o.opening);
        bad[100] = bad[100]! ^ 0x10;
        await conn.viem.assertions.revertWithCustomError(harness.read.openElement([c.root, BigInt(o.offset), toHex(bad)]), harness, "WordOpeningMismatch");
      }
    });
  }
  it("refuses an opening that is not 192 bytes and a chunk over 1 KiB", async () => {
    const c = v.cases[0]!;
    const o = c.openings[0]!;
    await conn.viem.assertions.revertWithCustomErrorWithArgs(harness.read.openElement([c.root, 0n, `${o.opening}00`]), harness, "WordOpeningLength", [193n, 192n]);
    await conn.viem.assertions.revertWithCustomErrorWithArgs(harness.read.root([`0x${"11".repeat(1025)}`]), harness, "WordTreeChunkTooLong", [1025n]);
  });
});
