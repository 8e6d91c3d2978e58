/**
 * LibSchedule (the batch schedule on-chain) agrees with packages/engine/src/schedule.ts: the example id of every
 * batch row over several dataset sizes (including 1, powers of two and their neighbours, MNIST's 8,000 and 2^31),
 * batch sizes and steps across epoch boundaries, and the batch id of the VRF context; bad sizes revert by name.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { toHex } from "@refereed/core";
import { EpochPermutation, batchExamples, stepPosition } from "@refereed/engine";

const { viem } = await network.create();
const harness = await viem.deployContract("OneStepHarness", ["0x0000000000000000000000000000000000000001"]);

const nonce = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);

describe("LibSchedule agrees with the engine's schedule", () => {
  const cases: [number, number, number[]][] = [
    // [N, B, steps]
    [1, 1, [0, 1, 7]],
    [2, 1, [0, 1, 2, 3]],
    [3, 2, [0, 1, 5]],
    [40, 4, [0, 1, 9, 10, 11, 123]],
    [64, 8, [0, 7, 8, 1000]],
    [65, 8, [0, 7, 8, 9]],
    [1000, 64, [0, 14, 15, 16, 99999]],
    [8000, 64, [0, 124, 125, 374]],
    [2 ** 31, 1024, [0, 2 ** 21 - 1, 2 ** 21, 2 ** 40]],
  ];
  for (const [n, batch, steps] of cases) {
    it(`N = ${n}, B = ${batch}`, async () => {
      for (const step of steps) {
        const rows = batch <= 8 ? [...Array(batch).keys()] : [0, 1, batch >> 1, batch - 1];
        const want =
          n <= 1_000_000 ? batchExamples({ nonce, n, batch }, step) : (() => {
            const { epoch, batchId } = stepPosition({ nonce, n, batch }, step);
            const perm = new EpochPermutation({ nonce, n, batch }, epoch);
            return rows.map((j) => perm.at(batchId * batch + j));
          })();
        for (const [k, j] of rows.entries()) {
          const expected = n <= 1_000_000 ? want[j]! : want[k]!;
          assert.equal(await harness.read.exampleId([toHex(nonce), BigInt(n), BigInt(batch), BigInt(step), BigInt(j)]), BigInt(expected), `step ${step} row ${j}`);
        }
        assert.equal(await harness.read.batchId([BigInt(n), BigInt(batch), BigInt(step)]), BigInt(stepPosition({ nonce, n, batch }, step).batchId));
      }
    });
  }

  it("refuses sizes outside the engine's range and rows outside the batch", async () => {
    const { assertions } = viem;
    const call = (n: bigint, b: bigint, j: bigint) => harness.read.exampleId([toHex(nonce), n, b, 0n, j]);
    await assertions.revertWithCustomErrorWithArgs(call(0n, 1n, 0n), harness as never, "ScheduleDatasetSize" as never, [0n] as never);
    await assertions.revertWithCustomErrorWithArgs(call(2n ** 31n + 1n, 1n, 0n), harness as never, "ScheduleDatasetSize" as never, [2n ** 31n + 1n] as never);
    await assertions.revertWithCustomErrorWithArgs(call(10n, 11n, 0n), harness as never, "ScheduleBatchSize" as never, [11n, 10n] as never);
    await assertions.revertWithCustomErrorWithArgs(call(10n, 2n, 2n), harness as never, "ScheduleRowOutOfRange" as never, [2n, 2n] as never);
  });
});
