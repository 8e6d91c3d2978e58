/**
 * OneStepVerifier accepts an honest trainer everywhere: every node of an iteration (first, middle and last element,
 * a dropped and a kept dropout element), the PARAM link in the rollup's first iteration (start state) and later ones
 * (previous update), DATA links, the END-STATE link of every update node of the last iteration, and every journal
 * entry. Real engine trace (BLS VRF seeds), real chain (EDR, osaka).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { maskBit } from "@refereed/core";
import { ProofBuilder, traceRollupSource, type ElementRef } from "../src/index.js";
import { DATA, STEPS, trainTrace, type TestTrace } from "./helpers.js";

const { viem } = await network.create();

describe("OneStepVerifier: an honest trainer is valid at every op and link", () => {
  let trace: TestTrace;
  let builder: ProofBuilder;
  let verifier: Awaited<ReturnType<typeof viem.deployContract<"OneStepVerifier">>>;

  before(async () => {
    trace = await trainTrace("honest");
    trace.reader.verifyAll();
    builder = new ProofBuilder(traceRollupSource(trace.reader, 0, DATA));
    verifier = await viem.deployContract("OneStepVerifier");
  });
  after(() => trace.cleanup());

  async function verdict(ref: ElementRef): Promise<boolean> {
    return verifier.read.verifyElement([builder.elementContext(ref), builder.elementProof(ref)]);
  }

  /** Elements to check in a node: first, middle, last; for dropout nodes also a dropped and a kept one. */
  function elementsOf(step: number, node: number): number[] {
    const t = builder.template;
    const n = t.nodes[node]!;
    const numel = n.shape.reduce((a, b) => a * b, 1);
    const picks = new Set([0, Math.floor(numel / 2), numel - 1]);
    if (n.op === "dropout" || n.op === "dropout_bwd") {
      const d = t.dropout.find((x) => x.layer === n.attrs.layer)!;
      const y = trace.reader.readIteration(step).journal[d.ordinal]!.y;
      const dropped = [...Array(numel).keys()].find((e) => !maskBit(y, d, e));
      const kept = [...Array(numel).keys()].find((e) => maskBit(y, d, e));
      assert.ok(dropped !== undefined && kept !== undefined, `layer ${d.layer} has both dropped and kept elements`);
      picks.add(dropped);
      picks.add(kept);
    }
    return [...picks];
  }

  it("every node of iteration 1 (first, middle, last element; dropped and kept dropout elements)", async () => {
    const step = 1;
    const failures: string[] = [];
    let checked = 0;
    for (const n of builder.template.nodes) {
      for (const element of elementsOf(step, n.id)) {
        if (!(await verdict({ step, node: n.id, element }))) failures.push(`${n.name} (${n.op}) element ${element}`);
        checked++;
      }
    }
    assert.deepEqual(failures, [], `honest elements judged invalid: ${failures.join(", ")}`);
    assert.ok(checked >= 3 * builder.template.nodes.length, `checked ${checked} elements`);
    // every op of the engine was exercised
    const ops = new Set(builder.template.nodes.map((n) => n.op));
    assert.equal(ops.size, 16, `the model uses ${ops.size} of the 16 ops: ${[...ops].join(", ")}`);
  });

  it("PARAM links: iteration 0 against the start state, iterations 1..3 against the previous update", async () => {
    for (let step = 0; step < STEPS; step++) {
      for (const p of builder.template.params) {
        const numel = p.shape.reduce((a, b) => a * b, 1);
        for (const element of [0, numel - 1]) assert.ok(await verdict({ step, node: p.id, element }), `param ${p.name} step ${step} element ${element}`);
      }
    }
  });

  it("DATA links in every iteration: pixels and labels of the scheduled examples", async () => {
    const t = builder.template;
    for (let step = 0; step < STEPS; step++) {
      for (const element of [0, 783, 784, 4 * 784 - 1]) assert.ok(await verdict({ step, node: t.dataX, element }), `x step ${step} element ${element}`);
      for (const element of [0, 3]) assert.ok(await verdict({ step, node: t.dataY, element }), `y step ${step} element ${element}`);
    }
  });

  it("END-STATE: every update node of the last iteration equals its end-state leaf (and its rule holds)", async () => {
    const step = STEPS - 1;
    for (const u of builder.template.updateOf) {
      const numel = builder.template.nodes[u]!.shape.reduce((a, b) => a * b, 1);
      for (const element of [0, numel - 1]) assert.ok(await verdict({ step, node: u, element }), `update ${builder.template.nodes[u]!.name} element ${element}`);
    }
  });

  it("every journal entry of every iteration", async () => {
    for (let step = 0; step < STEPS; step++) {
      for (let k = 0; k < builder.template.dropout.length; k++) {
        assert.ok(await verifier.read.verifyJournalEntry([builder.journalContext(step, k), builder.journalProof(step, k)]), `step ${step} entry ${k}`);
      }
    }
  });
});
