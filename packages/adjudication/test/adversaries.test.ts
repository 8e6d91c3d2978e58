/**
 * Scenario table: every cheating trainer of packages/engine/src/adversaries.ts is judged invalid by OneStepVerifier at
 * the element the engine's audit names; the honest-but-different trainer (other summation order) is valid there.
 *
 * Journal-level findings (the audit reports a maskHash that is not the PRG mask of y, at element 0 of the dropout
 * node): the on-chain journal step does not check maskHash (OneStepVerifier.verifyJournalEntry NatSpec), so the
 * entry itself is valid on-chain; the cheat is caught at the first dropout element whose value contradicts the PRG
 * keep bit, which the test locates from the trace and the verifier rejects.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { bitsOf, checkDropoutElement } from "@refereed/core";
import { ADVERSARIES, audit, traceSource, type AdversaryKind } from "@refereed/engine";
import { ProofBuilder, traceRollupSource, type ElementRef } from "../src/index.js";
import { DATA, trainTrace } from "./helpers.js";

const { viem } = await network.create();
const verifier = await viem.deployContract("OneStepVerifier");

const CHEAT_STEP = 2;

async function elementVerdict(b: ProofBuilder, ref: ElementRef): Promise<boolean> {
  return verifier.read.verifyElement([b.elementContext(ref), b.elementProof(ref)]);
}

describe("OneStepVerifier: every adversary of the engine loses at the element the audit finds", () => {
  for (const kind of ADVERSARIES as readonly AdversaryKind[]) {
    it(kind, async (t) => {
      const trace = await trainTrace(kind, CHEAT_STEP);
      t.after(() => trace.cleanup());
      const b = new ProofBuilder(traceRollupSource(trace.reader, 0, DATA));
      const r = audit(traceSource(trace.reader), { data: DATA });
      if (kind === "honest-different") {
        assert.ok(r.ok, "the audit accepts the honest-but-different trainer");
        // its dot products and updates have other bits than the reference engine's, and are valid on-chain too
        for (const n of b.template.nodes.filter((x) => ["linear", "matmul_nt", "row_sum", "sgd", "momentum"].includes(x.op))) {
          assert.ok(await elementVerdict(b, { step: CHEAT_STEP, node: n.id, element: 0 }), `${n.name} element 0`);
        }
        return;
      }
      assert.ok(!r.ok, `${kind}: the audit finds the cheat`);
      const v = r.violation;
      t.diagnostic(`audit: ${v.nodeName} (${v.op}) element ${v.element}, ${v.reason}: ${v.detail}`);
      assert.equal(v.step, CHEAT_STEP);
      assert.equal(v.nodeName, trace.adversary!.expectedNode);
      if (v.reason !== "journal") {
        assert.equal(await elementVerdict(b, { step: v.step, node: v.node, element: v.element }), false, `${kind}: ${v.nodeName}[${v.element}] (${v.detail})`);
        return;
      }
      // journal-level finding: the entry is the honest VRF record (valid on-chain), the mask is not its PRG mask
      const ordinal = v.journalOrdinal!;
      assert.ok(await verifier.read.verifyJournalEntry([b.journalContext(v.step, ordinal), b.journalProof(v.step, ordinal)]), "entry valid on-chain");
      const it = trace.reader.readIteration(v.step);
      const layer = b.template.dropout[ordinal]!;
      const x = it.outputs[b.template.nodes[layer.node]!.inputs[0]!]!;
      const out = it.outputs[layer.node]!;
      const y = it.journal[ordinal]!.y;
      const bad = [...out.keys()].find((e) => !checkDropoutElement(y, layer, e, bitsOf(x[e]!), bitsOf(out[e]!)).ok);
      assert.ok(bad !== undefined, `${kind}: some element contradicts the PRG mask`);
      t.diagnostic(`on-chain: journal entry valid; dropout element ${bad} contradicts the PRG keep bit`);
      assert.equal(await elementVerdict(b, { step: v.step, node: layer.node, element: bad }), false, `${kind}: dropout element ${bad}`);
      // and the audit's own element gets the verdict the reference rule gives
      const atAudit = checkDropoutElement(y, layer, v.element, bitsOf(x[v.element]!), bitsOf(out[v.element]!)).ok;
      assert.equal(await elementVerdict(b, { step: v.step, node: layer.node, element: v.element }), atAudit);
    });
  }
});
