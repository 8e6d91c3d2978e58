/** The TypeScript side of the shared vectors: every vector file is recomputed from its inputs and must match. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  applyDropout,
  buildTree,
  chunkWordRoot,
  elementOpening,
  openElementWord,
  WORD_TREE_DEPTH,
  WordTreeError,
  decodeIterationLeaf,
  fromHex,
  Kind,
  maskString,
  maskThreshold,
  prgWord,
  tensorTree,
  toHex,
  verifyElement,
  verifyProof,
  verifyRangeProof,
  verifyRange,
  keepMask,
} from "../src/index.js";
import { checkDot, checkElementwise, type ElementwiseOp } from "../src/tolerance.js";

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../../vectors/${name}`, import.meta.url), "utf8"));
const hx = (s: string) => fromHex(s);

describe("vectors/merkle.json", () => {
  const v = load("merkle.json");
  it("declares the 256-element chunk", () => assert.equal(v.chunkElems, 256));
  for (const t of v.trees) {
    it(`tree of ${t.len} leaves (kind 0x${t.kind.toString(16)}): root, proofs, multiproofs`, () => {
      const leaves = t.leaves.map(hx);
      assert.equal(toHex(buildTree(t.kind, leaves).root), t.root);
      for (const p of t.proofs) assert.ok(verifyProof(t.kind, t.len, hx(t.root), p.index, leaves[p.index], p.siblings.map(hx)));
      for (const m of t.multiproofs) assert.ok(verifyRangeProof(t.kind, t.len, hx(t.root), m.start, leaves.slice(m.start, m.end), m.siblings.map(hx)));
    });
  }
  for (const t of v.tensors) {
    it(`tensor of ${t.len} elements: root, element and range openings`, () => {
      const f = new Float32Array(Uint32Array.from(t.bits).buffer);
      assert.equal(toHex(tensorTree(f).root), t.root);
      for (const o of t.openings) {
        assert.equal(verifyElement(hx(t.root), t.len, { ...o, chunkData: hx(o.chunkData), siblings: o.siblings.map(hx) }), t.bits[o.element]);
      }
      for (const r of t.ranges) {
        const got = verifyRange(hx(t.root), t.len, { ...r, chunks: r.chunks.map(hx), siblings: r.siblings.map(hx) });
        assert.deepEqual(Array.from(got ?? []), t.bits.slice(r.start, r.end));
      }
    });
  }
  it("nested path: rollup → iteration → graph → node tensor → element, and the journal entry", () => {
    const n = v.nested;
    const p = n.path;
    const it0 = n.iterations[p.iteration];
    assert.ok(verifyProof(Kind.Rollup, n.iterations.length, hx(n.rollupRoot), p.iteration, hx(it0.leaf), p.iterationSiblings.map(hx)));
    const leaf = decodeIterationLeaf(hx(it0.leaf));
    assert.equal(toHex(leaf.graphRoot), it0.graphRoot);
    assert.ok(verifyProof(Kind.Graph, p.nodeCount, leaf.graphRoot, p.node, hx(p.tensorRoot), p.nodeSiblings.map(hx)));
    const value = verifyElement(hx(p.tensorRoot), p.tensorLen, { element: p.element, chunk: p.chunk, chunkData: hx(p.chunkData), siblings: p.chunkSiblings.map(hx) });
    assert.equal(value, p.value);
    assert.ok(verifyProof(Kind.Journal, 2, leaf.journalRoot, p.journalIndex, hx(p.journalEntry), p.journalSiblings.map(hx)));
  });
});

describe("vectors/mask.json and dropout.json", () => {
  const m = load("mask.json");
  it(`has at least 100 mask cases over several p (${m.cases.length})`, () => {
    assert.ok(m.cases.length >= 100);
    assert.ok(new Set(m.cases.map((c: { num: number; den: number }) => `${c.num}/${c.den}`)).size >= 5);
  });
  it("every case's words, threshold and keep bits", () => {
    for (const c of m.cases) {
      const y = hx(c.y);
      assert.equal(maskThreshold(c), c.threshold);
      c.elements.forEach((e: number, i: number) => {
        assert.equal(prgWord(y, e), c.words[i]);
        assert.equal(c.words[i] >= c.threshold ? 1 : 0, c.keep[i]);
      });
    }
    for (const f of m.masks) assert.equal(maskString(keepMask(hx(f.y), f, f.n)), f.keep);
  });
  it("dropout outputs and VDO quantized fields", () => {
    for (const c of load("dropout.json").cases) {
      const x = new Float32Array(Uint32Array.from(c.x).buffer);
      const { mask, out, vdo } = applyDropout(x, hx(c.y), c);
      assert.equal(maskString(mask), c.keep);
      assert.deepEqual(Array.from(new Uint32Array(out.buffer)), c.out);
      assert.deepEqual(Array.from(vdo.q), c.q);
      assert.deepEqual(Array.from(vdo.qPrime), c.qPrime);
      assert.equal(toHex(vdo.maskHash), c.maskHash);
      assert.equal(toHex(vdo.qHash), c.qHash);
    }
  });
});

describe("vectors/tolerance.json", () => {
  const t = load("tolerance.json");
  it("dot cases: all summation orders accepted, just-outside rejected", () => {
    const orders = t.dot.filter((d: { name: string }) => /-f32$|f64-then-round$/.test(d.name));
    assert.ok(orders.length >= 40 && orders.every((d: { accept: boolean }) => d.accept));
    assert.ok(t.dot.filter((d: { name: string }) => d.name.includes("just-above")).every((d: { accept: boolean }) => !d.accept));
    for (const d of t.dot) assert.equal(checkDot(d.a, d.b, d.claimed).ok, d.accept, d.name);
  });
  it("elementwise cases", () => {
    for (const e of t.elementwise) {
      assert.equal(checkElementwise({ op: e.op as ElementwiseOp, inputs: e.inputs, num: e.num, den: e.den }, e.claimed).ok, e.accept, e.name);
    }
  });
});

describe("vectors/template.json", () => {
  const t = load("template.json");
  for (const tpl of t.templates) {
    it(`template ${tpl.name}: descriptors encode byte-exactly and the root matches`, async () => {
      const { encodeDescriptor, decodeDescriptor, templateTree } = await import("../src/template.js");
      const nodes = tpl.nodes.map((n: { opcode: number; numel: number; rows: number; cols: number; inputs: number[]; attrs: number[] }) => ({
        opcode: n.opcode,
        numel: n.numel,
        rows: n.rows,
        cols: n.cols,
        inputs: n.inputs,
        attrs: n.attrs,
      }));
      tpl.nodes.forEach((n: { descriptor: string }, i: number) => {
        assert.equal(toHex(encodeDescriptor(nodes[i])), n.descriptor);
        assert.deepEqual(decodeDescriptor(hx(n.descriptor)), nodes[i]);
      });
      assert.equal(toHex(templateTree(nodes).root), tpl.root);
      tpl.nodes.forEach((n: { descriptor: string; proof: string[] }, i: number) =>
        assert.ok(verifyProof(Kind.Template, tpl.nodeCount, hx(tpl.root), i, hx(n.descriptor), n.proof.map(hx))),
      );
    });
  }
});

describe("vectors/wordtree.json", () => {
  const v = load("wordtree.json") as { depth: number; cases: { chunk: string; root: string; openings: { offset: number; opening: string; bits: number }[] }[] };
  it("declares the 5-level tree", () => assert.equal(v.depth, WORD_TREE_DEPTH));
  for (const c of v.cases) {
    const chunk = hx(c.chunk);
    it(`chunk of ${chunk.length} bytes: root, openings and the element bits`, () => {
      assert.equal(toHex(chunkWordRoot(chunk)), c.root);
      const view = new DataView(chunk.buffer, chunk.byteOffset);
      for (const o of c.openings) {
        assert.equal(toHex(elementOpening(chunk, o.offset)), o.opening);
        assert.equal(o.bits, view.getUint32(4 * o.offset, true), "the element's own bits");
        assert.equal(openElementWord(hx(c.root), o.offset, hx(o.opening)), o.bits);
        const bad = hx(o.opening);
        bad[40] = bad[40]! ^ 1;
        assert.equal(openElementWord(hx(c.root), o.offset, bad), null, "a flipped sibling bit");
        assert.equal(openElementWord(hx(c.root), o.offset ^ 8, hx(o.opening)), null, "the word at another index");
      }
    });
  }
  it("refuses chunks and offsets outside the format", () => {
    assert.throws(() => chunkWordRoot(new Uint8Array(1028)), WordTreeError);
    assert.throws(() => chunkWordRoot(new Uint8Array(6)), WordTreeError);
    assert.throws(() => elementOpening(new Uint8Array(8), 2), WordTreeError);
    assert.equal(openElementWord(new Uint8Array(32), 0, new Uint8Array(191)), null);
  });
});
