/**
 * OneStepVerifier never turns a bad opening into a verdict: every defect of the proof (a flipped chunk byte, a wrong
 * tensor root, a descriptor that is not the template's, a link where none belongs, a missing input, another public
 * key, a wrong state, iteration, dataset or journal opening, a context the game cannot have built) reverts with its
 * named error. Each case starts from an honest proof that the verifier accepts (checked first), so a case cannot pass
 * by reverting for another reason.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { descriptorHash, encodeDescriptor, fromHex, leafHash, templateTree, toHex, vrfKeygen } from "@refereed/core";
import { templateDescriptors } from "@refereed/engine";
import type { Hex } from "viem";
import {
  ProofBuilder,
  encodeElementProof,
  encodeJournalProof,
  traceRollupSource,
  type ElementProofParts,
  type ElementRef,
  type StepContext,
} from "../src/index.js";
import { DATA, STEPS, trainTrace, type TestTrace } from "./helpers.js";

const { viem } = await network.create();
const verifier = await viem.deployContract("OneStepVerifier");
const { assertions } = viem;

/** Opening enum of OneStepVerifier. */
const Opening = { InputTensorRoot: 0, InputChunks: 1, PreviousIteration: 2, PreviousUpdateRoot: 3, StateLeaf: 4, DatasetExample: 5, JournalEntry: 6 } as const;

/** Flips one bit of byte `at` of a hex string (0x-prefixed). */
function flip(h: Hex, at = 0): Hex {
  const i = 2 + 2 * at;
  const b = (parseInt(h.slice(i, i + 2), 16) ^ 1).toString(16).padStart(2, "0");
  return `0x${h.slice(2, i)}${b}${h.slice(i + 2)}` as Hex;
}

const clone = <T>(v: T): T => structuredClone(v);

describe("OneStepVerifier: bad openings revert with named errors", () => {
  let trace: TestTrace;
  let b: ProofBuilder;
  const node = (op: string) => trace.job.template.nodes.find((n) => n.op === op)!.id;

  before(async () => {
    trace = await trainTrace("honest");
    b = new ProofBuilder(traceRollupSource(trace.reader, 0, DATA));
  });
  after(() => trace.cleanup());

  /** An honest (ctx, parts) pair the verifier accepts. */
  async function honest(ref: ElementRef): Promise<{ ctx: StepContext; parts: ElementProofParts }> {
    const ctx = b.elementContext(ref);
    const parts = b.elementProofParts(ref);
    assert.ok(await verifier.read.verifyElement([ctx, encodeElementProof(parts)]), "the untampered proof is accepted");
    return { ctx, parts };
  }

  async function reverts(ctx: StepContext, parts: ElementProofParts, error: string, args?: readonly unknown[]) {
    const p = verifier.read.verifyElement([ctx, encodeElementProof(parts)]);
    if (args === undefined) await assertions.revertWithCustomError(p, verifier as never, error as never);
    else await assertions.revertWithCustomErrorWithArgs(p, verifier as never, error as never, args as never);
  }

  it("an input chunk with one flipped bit: OpeningInvalid(InputChunks, input)", async () => {
    const relu = node("relu");
    const { ctx, parts } = await honest({ step: 1, node: relu, element: 5 });
    parts.inputs[0]!.chunks[0] = flip(parts.inputs[0]!.chunks[0]!, 20);
    await reverts(ctx, parts, "OpeningInvalid", [Opening.InputChunks, BigInt(trace.job.template.nodes[relu]!.inputs[0]!)]);
  });

  it("a row opening of a 784-input linear with a flipped chunk, and with a chunk missing", async () => {
    const fc1 = trace.job.template.nodes.find((n) => n.name === "fc1.z")!;
    const { ctx, parts } = await honest({ step: 1, node: fc1.id, element: 17 });
    const bad = clone(parts);
    bad.inputs[1]!.chunks[1] = flip(bad.inputs[1]!.chunks[1]!, 1000);
    await reverts(ctx, bad, "OpeningInvalid", [Opening.InputChunks, BigInt(fc1.inputs[1]!)]);
    const short = clone(parts);
    short.inputs[0]!.chunks.pop();
    await reverts(ctx, short, "TensorChunkCount");
  });

  it("another tensor root for an input: OpeningInvalid(InputTensorRoot, input)", async () => {
    const sm = node("softmax");
    const { ctx, parts } = await honest({ step: 1, node: sm, element: 3 });
    parts.inputs[0]!.tensorRoot = flip(parts.inputs[0]!.tensorRoot);
    await reverts(ctx, parts, "OpeningInvalid", [Opening.InputTensorRoot, BigInt(trace.job.template.nodes[sm]!.inputs[0]!)]);
  });

  /**
   * Input k of node `name` opened as the sibling leaf of input k − 1 (no graph proof of its own): the honest proof uses
   * that form, a flipped root is refused, and its own graph proof (input k − 1's leaf, then the shared siblings) passes.
   */
  async function siblingShortcut(name: string, k: number, element: number) {
    const n = trace.job.template.nodes.find((x) => x.name === name)!;
    const { ctx, parts } = await honest({ step: 1, node: n.id, element });
    assert.equal(n.inputs[k], n.inputs[k - 1]! ^ 1);
    assert.equal(parts.inputs[k]!.graphProof.length, 0);
    const bad = clone(parts);
    bad.inputs[k]!.tensorRoot = flip(bad.inputs[k]!.tensorRoot);
    await reverts(ctx, bad, "OpeningInvalid", [Opening.InputTensorRoot, BigInt(n.inputs[k]!)]);
    const own = clone(parts);
    const prevLeaf = toHex(leafHash(fromHex(parts.inputs[k - 1]!.tensorRoot, 32, "previous input's root")));
    own.inputs[k]!.graphProof = [prevLeaf, ...parts.inputs[k - 1]!.graphProof.slice(1)];
    assert.ok(await verifier.read.verifyElement([ctx, encodeElementProof(own)]), `${name} input ${k} with its own proof`);
    return { n, ctx, parts };
  }

  it("a linear's bias opened as the weight's sibling leaf (fc2.b = fc2.w ^ 1): only its own root passes", async () => {
    const { n, ctx, parts } = await siblingShortcut("fc2.z", 2, 5);
    // an empty proof on the first operand x is an ordinary proof of the wrong length
    const noX = clone(parts);
    noX.inputs[0]!.graphProof = [];
    await reverts(ctx, noX, "MerkleProofLength");
    // the weight is not x's sibling: an empty proof there is refused, even with the right root
    assert.notEqual(n.inputs[1], n.inputs[0]! ^ 1);
    const noW = clone(parts);
    noW.inputs[1]!.graphProof = [];
    await reverts(ctx, noW, "OpeningInvalid", [Opening.InputTensorRoot, BigInt(n.inputs[1]!)]);
  });

  it("a matmul_nt's second operand opened as the first's sibling leaf (the engine's operand placement): only its own root passes", async () => {
    await siblingShortcut("fc2.dout", 1, 7);
  });

  it("a descriptor that is not the one the game opened (ctx.descriptorHash): DescriptorHashMismatch", async () => {
    const { ctx, parts } = await honest({ step: 1, node: node("transpose"), element: 0 });
    parts.descriptor = flip(parts.descriptor, 5);
    const given = toHex(descriptorHash(fromHex(parts.descriptor, undefined, "descriptor")));
    await reverts(ctx, parts, "DescriptorHashMismatch", [BigInt(ctx.nodeId), ctx.descriptorHash, given]);
    // a dot product's K (its descriptor's last attribute byte): bound like every other field
    const mm = await honest({ step: 1, node: node("matmul_nt"), element: 0 });
    mm.parts.descriptor = flip(mm.parts.descriptor, (mm.parts.descriptor.length - 2) / 2 - 1);
    await reverts(mm.ctx, mm.parts, "DescriptorHashMismatch");
    // another node's own descriptor (a real template leaf, but not node ctx.nodeId's)
    const other = await honest({ step: 1, node: node("relu"), element: 0 });
    await reverts(mm.ctx, { ...clone(mm.parts), descriptor: other.parts.descriptor }, "DescriptorHashMismatch");
  });

  it("a template whose dot product has K = 0 (a requester's malformed template): TemplateShape, before any input is read", async () => {
    const mm = node("matmul_nt");
    const { ctx, parts } = await honest({ step: 1, node: mm, element: 0 });
    const ds = templateDescriptors(trace.job.template).map((d, i) => (i === mm ? { ...d, attrs: [0] } : d));
    const tree = templateTree(ds);
    const desc = encodeDescriptor(ds[mm]!);
    const bad = { ...clone(parts), descriptor: toHex(desc) };
    const game = { ...ctx, templateRoot: toHex(tree.root), descriptorHash: toHex(descriptorHash(desc)) };
    await reverts(game, bad, "TemplateShape", [BigInt(mm), BigInt(trace.job.template.nodes[mm]!.inputs[0]!)]);
  });

  it("a context whose element count is not the template's: DescriptorMismatch", async () => {
    const { ctx, parts } = await honest({ step: 1, node: node("relu_bwd"), element: 0 });
    await reverts({ ...ctx, numel: ctx.numel + 1n }, parts, "DescriptorMismatch");
  });

  it("a link on an op without one (UnexpectedLink), an input missing (InputCount), profile 1 (ToleranceProfileNotSupported)", async () => {
    const { ctx, parts } = await honest({ step: 1, node: node("row_sum"), element: 1 });
    const withLink: ElementProofParts = { ...clone(parts), link: { kind: "dataset", example: { example: "0x00000000", proof: [] } } };
    await reverts(ctx, withLink, "UnexpectedLink", [BigInt(ctx.nodeId)]);
    await reverts(ctx, { ...clone(parts), inputs: [] }, "InputCount", [BigInt(ctx.nodeId), 0n, 1n]);
    await reverts({ ...ctx, toleranceProfile: 1 }, parts, "ToleranceProfileNotSupported", [1]);
  });

  it("dropout: another public key (TrainerKeyMismatch), a journal entry not in the journal (OpeningInvalid(JournalEntry))", async () => {
    const { ctx, parts } = await honest({ step: 1, node: node("dropout"), element: 2 });
    assert.equal(parts.link.kind, "seed");
    if (parts.link.kind !== "seed") return;
    const otherPk = `0x${Buffer.from(vrfKeygen(new Uint8Array(32).fill(5)).pk).toString("hex")}` as Hex;
    await reverts(ctx, { ...parts, link: { ...parts.link, seed: { ...parts.link.seed, publicKey: otherPk } } }, "TrainerKeyMismatch");
    await reverts(ctx, { ...parts, link: { ...parts.link, entry: flip(parts.link.entry, 100) } }, "OpeningInvalid", [Opening.JournalEntry, 0n]);
    // journal step: the dropout node of another layer (rule T3)
    const jp = b.journalProofParts(1, 0);
    const other = b.journalProofParts(1, 1);
    await assertions.revertWithCustomError(
      verifier.read.verifyJournalEntry([b.journalContext(1, 0), encodeJournalProof({ ...jp, dropout: other.dropout })]),
      verifier as never,
      "TemplateNodeUnexpected" as never,
    );
  });

  it("PARAM: a wrong start-state opening, a wrong previous iteration leaf, a wrong update root", async () => {
    const first = await honest({ step: 0, node: 2, element: 1 });
    assert.equal(first.parts.link.kind, "startState");
    if (first.parts.link.kind === "startState") {
      first.parts.link.leaf.paramRoot = flip(first.parts.link.leaf.paramRoot);
      await reverts(first.ctx, first.parts, "OpeningInvalid", [Opening.StateLeaf, 2n]);
    }
    const later = await honest({ step: 2, node: 2, element: 1 });
    assert.equal(later.parts.link.kind, "previous");
    if (later.parts.link.kind === "previous") {
      const l = later.parts.link.prev;
      await reverts(later.ctx, { ...later.parts, link: { kind: "previous", prev: { ...l, iterationLeaf: flip(l.iterationLeaf, 9) } } }, "OpeningInvalid", [Opening.PreviousIteration, 1n]);
      await reverts(later.ctx, { ...later.parts, link: { kind: "previous", prev: { ...l, updateRoot: flip(l.updateRoot) } } }, "OpeningInvalid", [Opening.PreviousUpdateRoot, BigInt(l.update.nodeId)]);
      // the update node of another parameter (rule T1)
      const other = b.elementProofParts({ step: 2, node: 3, element: 0 });
      assert.equal(other.link.kind, "previous");
      if (other.link.kind === "previous") {
        await reverts(later.ctx, { ...later.parts, link: { kind: "previous", prev: { ...l, update: other.link.prev.update } } }, "TemplateNodeUnexpected");
      }
    }
  });

  it("END-STATE: a wrong end-state opening, a PARAM node that does not name this update", async () => {
    const u = trace.job.template.updateOf[4]!;
    const { ctx, parts } = await honest({ step: STEPS - 1, node: u, element: 0 });
    assert.equal(parts.link.kind, "endState");
    if (parts.link.kind !== "endState") return;
    await reverts(ctx, { ...parts, link: { ...parts.link, leaf: { ...parts.link.leaf, proof: parts.link.leaf.proof.map((s) => flip(s)) } } }, "OpeningInvalid", [Opening.StateLeaf, 4n]);
    const wrongParam = b.elementProofParts({ step: STEPS - 1, node: trace.job.template.updateOf[5]!, element: 0 });
    assert.equal(wrongParam.link.kind, "endState");
    if (wrongParam.link.kind === "endState") {
      await reverts(ctx, { ...parts, link: { ...parts.link, paramNode: wrongParam.link.paramNode } }, "TemplateNodeUnexpected");
    }
    // a link in an iteration that is not the last
    const mid = await honest({ step: 1, node: u, element: 0 });
    await reverts(mid.ctx, { ...mid.parts, link: parts.link }, "UnexpectedLink", [BigInt(u)]);
  });

  it("DATA: an example that is not the scheduled one's opening, an example of the wrong length", async () => {
    const { ctx, parts } = await honest({ step: 1, node: trace.job.template.dataX, element: 900 });
    assert.equal(parts.link.kind, "dataset");
    if (parts.link.kind !== "dataset") return;
    await reverts(ctx, { ...parts, link: { kind: "dataset", example: { ...parts.link.example, example: flip(parts.link.example.example, 7) } } }, "OpeningInvalid");
    await reverts(ctx, { ...parts, link: { kind: "dataset", example: { ...parts.link.example, example: parts.link.example.example.slice(0, -8) as Hex } } }, "ProofFieldLength");
  });
});
