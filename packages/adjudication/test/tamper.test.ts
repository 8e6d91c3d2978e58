/**
 * Cheats the engine's adversaries do not make, built by tampering with an honest trace in memory (the commitments are
 * recomputed over the tampered values, as a cheater would): journal entries (another key's proof, a proof for another
 * context, y that is not H(pi), wrong n, wrong layer), state links (iteration 0 against the start state, a later
 * iteration against the previous update, the last iteration against the end state) and single values (NaN, a
 * transpose, a label, a softmax probability, a cross-entropy gradient). Each is judged invalid; the untouched
 * neighbours stay valid, so no test passes by rejecting everything.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { sha256, vrfContext, vrfEval, vrfKeygen, type JournalEntry } from "@refereed/core";
import { ProofBuilder, batchIdOf, traceRollupSource, type ElementRef, type IterationSource, type RollupSource } from "../src/index.js";
import { DATA, KEY, STEPS, trainTrace, type TestTrace } from "./helpers.js";

const { viem } = await network.create();
const verifier = await viem.deployContract("OneStepVerifier");

const STEP = 1;

describe("OneStepVerifier: tampered journals, links and values are invalid", () => {
  let trace: TestTrace;
  let honest: RollupSource;

  before(async () => {
    trace = await trainTrace("honest");
    honest = traceRollupSource(trace.reader, 0, DATA);
  });
  after(() => trace.cleanup());

  /** A source whose iteration `step` is changed by `f` (node roots recomputed from the outputs). */
  function tampered(step: number, f: (it: { outputs: Float32Array[]; journal: JournalEntry[] }) => void, extra: Partial<RollupSource> = {}): ProofBuilder {
    const src: RollupSource = {
      ...honest,
      ...extra,
      iteration: (s: number): IterationSource => {
        const it = honest.iteration(s);
        if (s !== step) return it;
        const copy = { outputs: it.outputs.map((o) => Float32Array.from(o)), journal: it.journal.map((e) => ({ ...e })) };
        f(copy);
        return copy;
      },
    };
    return new ProofBuilder(src);
  }

  const element = (b: ProofBuilder, ref: ElementRef) => verifier.read.verifyElement([b.elementContext(ref), b.elementProof(ref)]);
  const journal = (b: ProofBuilder, step: number, k: number) => verifier.read.verifyJournalEntry([b.journalContext(step, k), b.journalProof(step, k)]);

  describe("journal entries", () => {
    const dropoutNode = () => trace.job.template.dropout[0]!.node;
    const bwdNode = () => trace.job.template.nodes.find((n) => n.op === "dropout_bwd" && n.attrs.layer === 1)!.id;
    const ctxOf = (step: number, layerId: number) =>
      vrfContext({ modelId: trace.job.modelId, step, batchId: batchIdOf(trace.job, step), nonce: trace.job.nonce, layerId });

    const cases: [string, (e: JournalEntry) => JournalEntry, boolean][] = [
      // [name, tamper, does the element rule (dropout / dropout_bwd) also fail]
      ["a VRF proof under another key", (e) => {
        const pi = vrfEval(vrfKeygen(new Uint8Array(32).fill(9)).sk, e.x).pi;
        return { ...e, pi, y: sha256(pi) };
      }, true],
      ["a valid proof for another step's context", (e) => {
        const x = ctxOf(STEP + 1, 1);
        const { pi, y } = vrfEval(KEY.sk, x);
        return { ...e, x, pi, y };
      }, true],
      ["y that is not SHA-256(pi)", (e) => ({ ...e, y: sha256(e.y) }), true],
      ["the wrong layer id", (e) => ({ ...e, layerId: 2 }), true],
      ["the wrong element count n", (e) => ({ ...e, n: e.n + 1 }), false],
    ];
    for (const [name, f, elementFails] of cases) {
      it(name, async () => {
        const b = tampered(STEP, (it) => {
          it.journal[0] = f(it.journal[0]!);
        });
        assert.equal(await journal(b, STEP, 0), false, "journal step");
        assert.equal(await journal(b, STEP, 1), true, "the other layer's entry is untouched");
        for (const node of [dropoutNode(), bwdNode()]) {
          assert.equal(await element(b, { step: STEP, node, element: 0 }), !elementFails, `element 0 of node ${node}`);
        }
      });
    }

    it("the honest entry is valid and its context is the one computed on-chain", async () => {
      const b = new ProofBuilder(honest);
      assert.ok(await journal(b, STEP, 0));
      assert.deepEqual(trace.reader.readIteration(STEP).journal[0]!.x, ctxOf(STEP, 1));
    });
  });

  describe("state links", () => {
    it("PARAM in a later iteration that is not the previous update (every element of the tensor loses)", async () => {
      const b = tampered(2, (it) => {
        it.outputs[0]![5] = it.outputs[0]![5]! + 0.25;
      });
      assert.equal(await element(b, { step: 2, node: 0, element: 5 }), false);
      assert.equal(await element(b, { step: 2, node: 0, element: 0 }), false, "roots differ: any element of the tensor");
      assert.equal(await element(b, { step: 2, node: 1, element: 0 }), true, "another parameter is linked");
    });

    it("PARAM in iteration 0 that is not the start state", async () => {
      const leaves = honest.startStateLeaves.map((l, i) => (i === 1 ? sha256(l) : l));
      const b = new ProofBuilder({ ...honest, startStateLeaves: leaves });
      assert.equal(await element(b, { step: 0, node: 1, element: 0 }), false);
      assert.equal(await element(b, { step: 0, node: 0, element: 0 }), true);
    });

    it("an end state that is not the last iteration's update (END-STATE)", async () => {
      const leaves = honest.endStateLeaves.map((l, i) => (i === 0 ? sha256(l) : l));
      const b = new ProofBuilder({ ...honest, endStateLeaves: leaves });
      const t = trace.job.template;
      assert.equal(await element(b, { step: STEPS - 1, node: t.updateOf[0]!, element: 3 }), false);
      assert.equal(await element(b, { step: STEPS - 1, node: t.updateOf[1]!, element: 3 }), true);
      assert.equal(await element(b, { step: STEPS - 2, node: t.updateOf[0]!, element: 3 }), true, "not the last iteration: no END-STATE link");
    });
  });

  describe("single values", () => {
    const t = () => trace.job.template;
    const byOp = (op: string) => t().nodes.find((n) => n.op === op)!.id;

    it("NaN in a ReLU output", async () => {
      const node = byOp("relu");
      const b = tampered(STEP, (it) => {
        it.outputs[node]![3] = NaN;
      });
      assert.equal(await element(b, { step: STEP, node, element: 3 }), false);
      assert.equal(await element(b, { step: STEP, node, element: 2 }), true);
    });

    it("a transposed value moved by one ulp (transpose is exact)", async () => {
      const node = byOp("transpose");
      const b = tampered(STEP, (it) => {
        const o = it.outputs[node]!;
        const u = new Uint32Array(o.buffer, o.byteOffset, o.length);
        u[7] = u[7]! + 1;
      });
      assert.equal(await element(b, { step: STEP, node, element: 7 }), false);
      assert.equal(await element(b, { step: STEP, node, element: 6 }), true);
    });

    it("a label that is not the scheduled example's", async () => {
      const node = t().dataY;
      const b = tampered(STEP, (it) => {
        it.outputs[node]![1] = (it.outputs[node]![1]! + 1) % 10;
      });
      assert.equal(await element(b, { step: STEP, node, element: 1 }), false);
      assert.equal(await element(b, { step: STEP, node, element: 0 }), true);
    });

    it("a softmax probability and a cross-entropy gradient off by 2^-18 relative", async () => {
      for (const op of ["softmax", "xent_grad"]) {
        const node = byOp(op);
        const b = tampered(STEP, (it) => {
          it.outputs[node]![2] = it.outputs[node]![2]! * (1 + 2 ** -18);
        });
        assert.equal(await element(b, { step: STEP, node, element: 2 }), false, op);
        assert.equal(await element(b, { step: STEP, node, element: 1 }), true, op);
      }
    });

    it("a cross-entropy gradient one float32 step from the honest value gets the verdict of the exact rule", async () => {
      const node = byOp("xent_grad");
      const b = tampered(STEP, (it) => {
        const o = it.outputs[node]!;
        const u = new Uint32Array(o.buffer, o.byteOffset, o.length);
        u[4] = u[4]! + 1;
      });
      // |c − r| <= 1.5 ulp(c) may or may not fit 2^-23·|r|; decided here in binary64, which is exact for these
      // operands (p − t is exact, B = 4 is a power of two, c − r is exact by Sterbenz)
      const it0 = b.src.iteration(STEP);
      const p = it0.outputs[t().nodes[node]!.inputs[0]!]![4]!;
      const y = it0.outputs[t().dataY]![1]!;
      const c = it0.outputs[node]![4]!;
      const r = (p - (4 % 10 === y ? 1 : 0)) / t().batch;
      const expected = Math.abs(c - r) <= 2 ** -23 * Math.abs(r) + 2 ** -126;
      assert.equal(await element(b, { step: STEP, node, element: 4 }), expected);
    });
  });
});
