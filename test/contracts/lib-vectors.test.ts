/**
 * The Solidity primitives (contracts/lib: LibMerkle, LibPrg, LibFloat32, LibTolerance, through
 * contracts/harness/LibHarness.sol on the in-process EDR chain) against every case of the shared vectors
 * vectors/merkle.json, mask.json, dropout.json and tolerance.json, plus seeded differential tests against
 * packages/core on random inputs (elementwise: identical verdicts, both exact; dot product: the Solidity rule is the
 * sound truncation of SPEC §6.1, so it must accept whatever the exact TypeScript rule accepts).
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import type { Hex } from "viem";
import { fromHex, toHex } from "../../packages/core/src/bytes.js";
import { Kind, leafHash, innerHash, rootHash, depthFor } from "../../packages/core/src/merkle.js";
import { prgWord, maskThreshold } from "../../packages/core/src/prg.js";
import { checkDropoutElement } from "../../packages/core/src/dropout.js";
import { checkDot, checkElementwise, type ElementwiseOp } from "../../packages/core/src/tolerance.js";
import { decode } from "../../packages/core/src/float32.js";

// ----------------------------------------------------------------------------------------------- vector shapes
interface MerkleVectors {
  chunkElems: number;
  trees: {
    kind: number;
    len: number;
    leaves: Hex[];
    root: Hex;
    proofs: { index: number; siblings: Hex[] }[];
    multiproofs: { start: number; end: number; siblings: Hex[] }[];
  }[];
  tensors: {
    len: number;
    bits: number[];
    root: Hex;
    openings: { element: number; chunk: number; chunkData: Hex; siblings: Hex[] }[];
    ranges: { start: number; end: number; firstChunk: number; chunks: Hex[]; siblings: Hex[] }[];
  }[];
  nested: {
    rollupRoot: Hex;
    iterations: { step: number; graphRoot: Hex; journalRoot: Hex; leaf: Hex }[];
    path: {
      iteration: number;
      iterationSiblings: Hex[];
      node: number;
      nodeCount: number;
      tensorRoot: Hex;
      nodeSiblings: Hex[];
      tensorLen: number;
      element: number;
      chunk: number;
      chunkData: Hex;
      chunkSiblings: Hex[];
      value: number;
      journalIndex: number;
      journalEntry: Hex;
      journalSiblings: Hex[];
    };
  };
}
interface MaskVectors {
  cases: { y: Hex; num: number; den: number; threshold: number; elements: number[]; words: number[]; keep: number[] }[];
  masks: { y: Hex; num: number; den: number; n: number; keep: string }[];
}
interface DropoutVectors {
  cases: { y: Hex; num: number; den: number; x: number[]; out: number[]; keep: string }[];
}
interface ToleranceVectors {
  dot: { name: string; a: number[]; b: number[]; claimed: number; accept: boolean }[];
  elementwise: { name: string; op: ElementwiseOp; inputs: number[]; num?: number; den?: number; claimed: number; accept: boolean }[];
}

const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../vectors/${name}`, import.meta.url), "utf8")) as T;
const merkle = load<MerkleVectors>("merkle.json");
const mask = load<MaskVectors>("mask.json");
const dropout = load<DropoutVectors>("dropout.json");
const tolerance = load<ToleranceVectors>("tolerance.json");

const OP_CODE: Record<ElementwiseOp, number> = { add: 0, mul: 1, relu: 2, copy: 3, dropoutKeep: 4 };

/** Little-endian packed float32 bytes of bit patterns (the chunk layout). */
function packF32(bits: readonly number[]): Hex {
  const b = new Uint8Array(bits.length * 4);
  const dv = new DataView(b.buffer);
  bits.forEach((v, i) => dv.setUint32(4 * i, v >>> 0, true));
  return toHex(b);
}

/** Flips one bit of a 32-byte hex value. */
function flipBit(h: Hex, bit: number): Hex {
  const b = fromHex(h);
  b[bit >> 3]! ^= 1 << (bit & 7);
  return toHex(b);
}

/** Deterministic PRNG (xorshift32) for the differential tests: fixed seed, reproducible failures. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const { viem } = await network.create();

describe("LibHarness (Solidity) agrees with the shared vectors", () => {
  let h: Awaited<ReturnType<typeof viem.deployContract<"LibHarness">>>;

  before(async () => {
    h = await viem.deployContract("LibHarness");
  });

  // ------------------------------------------------------------------------------------------------- merkle.json
  describe("vectors/merkle.json", () => {
    it("has the promised coverage", () => {
      assert.deepEqual(merkle.trees.map((t) => t.len), [1, 2, 3, 5, 8, 13, 64, 100, 1000]);
      assert.ok(merkle.tensors.length >= 5);
    });

    it("hash primitives equal packages/core on the first leaves and roots", async () => {
      for (const t of merkle.trees.slice(0, 5)) {
        const d = t.leaves[0]!;
        assert.equal(await h.read.leafHash([d]), toHex(leafHash(fromHex(d))));
        assert.equal(await h.read.leafHashCalldata([d]), toHex(leafHash(fromHex(d))));
        const l = toHex(leafHash(fromHex(d)));
        assert.equal(await h.read.innerHash([l, t.root]), toHex(innerHash(fromHex(l), fromHex(t.root))));
        assert.equal(await h.read.rootHash([t.kind, BigInt(t.len), l]), toHex(rootHash(t.kind as Kind, t.len, fromHex(l))));
        assert.equal(await h.read.depthOf([BigInt(t.len)]), BigInt(depthFor(t.len)));
      }
    });

    for (const t of merkle.trees) {
      it(`tree kind 0x${t.kind.toString(16)} of ${t.len} leaves: every proof verifies, at its index only`, async () => {
        const len = BigInt(t.len);
        for (const p of t.proofs) {
          const data = t.leaves[p.index]!;
          assert.equal(await h.read.verify([t.kind, len, t.root, BigInt(p.index), data, p.siblings]), true, `index ${p.index}`);
          const lh = await h.read.leafHash([data]);
          assert.equal(await h.read.verifyLeafHash([t.kind, len, t.root, BigInt(p.index), lh, p.siblings]), true);
          assert.equal(await h.read.computeRoot([t.kind, len, BigInt(p.index), lh, p.siblings]), t.root);
          if (t.len > 1) {
            // the same data and proof at another index do not verify
            const other = BigInt(p.index ^ 1) < len ? BigInt(p.index ^ 1) : BigInt(p.index - 1);
            assert.equal(await h.read.verify([t.kind, len, t.root, other, data, p.siblings]), false);
            // any sibling bit flip breaks it
            const bad = p.siblings.slice();
            bad[0] = flipBit(bad[0]!, p.index % 256);
            assert.equal(await h.read.verify([t.kind, len, t.root, BigInt(p.index), data, bad]), false);
          }
          // another (non-tensor) kind gives another root
          const otherKind = t.kind === Kind.Graph ? Kind.Journal : Kind.Graph;
          assert.equal(await h.read.verify([otherKind, len, t.root, BigInt(p.index), data, p.siblings]), false);
        }
      });

      it(`tree kind 0x${t.kind.toString(16)} of ${t.len} leaves: every multiproof verifies`, async () => {
        for (const m of t.multiproofs) {
          const leaves = t.leaves.slice(m.start, m.end);
          assert.equal(await h.read.verifyRange([t.kind, BigInt(t.len), t.root, BigInt(m.start), leaves, m.siblings]), true, `[${m.start}, ${m.end})`);
          if (m.siblings.length > 0) {
            const bad = m.siblings.slice();
            bad[bad.length - 1] = flipBit(bad[bad.length - 1]!, 7);
            assert.equal(await h.read.verifyRange([t.kind, BigInt(t.len), t.root, BigInt(m.start), leaves, bad]), false);
          }
        }
      });
    }

    it("structural defects revert with the named custom error", async () => {
      const t = merkle.trees.find((x) => x.len === 5)!;
      const p = t.proofs[0]!;
      await assert.rejects(h.read.verify([t.kind, 5n, t.root, 5n, t.leaves[0]!, p.siblings]), /MerkleIndexOutOfRange/);
      await assert.rejects(h.read.verify([t.kind, 5n, t.root, 0n, t.leaves[0]!, p.siblings.slice(1)]), /MerkleProofLength/);
      await assert.rejects(h.read.verify([t.kind, 0n, t.root, 0n, t.leaves[0]!, []]), /MerkleEmptyTree/);
      await assert.rejects(h.read.rootHash([t.kind, 2n ** 64n, t.root]), /MerkleLengthTooLarge/);
    });

    for (const tv of merkle.tensors) {
      it(`tensor of ${tv.len} elements: element openings and range openings verify and read back the bits`, async () => {
        const len = BigInt(tv.len);
        for (const o of tv.openings) {
          const [ok, bits] = await h.read.verifyElement([tv.root, len, BigInt(o.element), o.chunkData, o.siblings]);
          assert.equal(ok, true, `element ${o.element}`);
          assert.equal(bits, tv.bits[o.element]);
          // the calldata twin (what the verifier runs) on the same vector
          assert.deepEqual(await h.read.verifyElementCalldata([tv.root, len, BigInt(o.element), o.chunkData, o.siblings]), [true, tv.bits[o.element]]);
          // a chunk one element short is refused by its length, before hashing
          if (fromHex(o.chunkData).length > 4 && o.element % 256 < fromHex(o.chunkData).length / 4 - 1) {
            await assert.rejects(
              h.read.verifyElement([tv.root, len, BigInt(o.element), toHex(fromHex(o.chunkData).slice(0, -4)), o.siblings]),
              /ChunkLength/,
            );
          }
          // a flipped value bit breaks the opening
          const tampered = fromHex(o.chunkData);
          tampered[(o.element % 256) * 4]! ^= 1;
          const [okT] = await h.read.verifyElement([tv.root, len, BigInt(o.element), toHex(tampered), o.siblings]);
          assert.equal(okT, false);
          assert.equal((await h.read.verifyElementCalldata([tv.root, len, BigInt(o.element), toHex(tampered), o.siblings]))[0], false);
        }
        await assert.rejects(h.read.verifyElement([tv.root, len, len, "0x", []]), /TensorElementOutOfRange/);
        for (const r of tv.ranges) {
          assert.equal(r.firstChunk, Math.floor(r.start / 256));
          const ok = await h.read.verifyElementRange([tv.root, len, BigInt(r.start), BigInt(r.end), r.chunks, r.siblings]);
          assert.equal(ok, true, `range [${r.start}, ${r.end})`);
          assert.equal(await h.read.verifyElementRangeCalldata([tv.root, len, BigInt(r.start), BigInt(r.end), r.chunks, r.siblings]), true, `range [${r.start}, ${r.end}) from calldata`);
          for (let e = r.start; e < r.end; e += 97) {
            const ch = r.chunks[Math.floor(e / 256) - r.firstChunk]!;
            assert.equal(await h.read.elementAt([ch, BigInt(e % 256)]), tv.bits[e]);
            assert.equal(await h.read.elementAtCalldata([ch, BigInt(e % 256)]), tv.bits[e]);
          }
        }
      });
    }

    it("nested path: iteration leaf → graph node → tensor element, and the journal entry", async () => {
      const n = merkle.nested;
      const p = n.path;
      const it1 = n.iterations[p.iteration]!;
      assert.equal(
        await h.read.verify([Kind.Rollup, BigInt(n.iterations.length), n.rollupRoot, BigInt(p.iteration), it1.leaf, p.iterationSiblings]),
        true,
      );
      assert.equal(await h.read.verify([Kind.Graph, BigInt(p.nodeCount), it1.graphRoot, BigInt(p.node), p.tensorRoot, p.nodeSiblings]), true);
      const [ok, bits] = await h.read.verifyElement([p.tensorRoot, BigInt(p.tensorLen), BigInt(p.element), p.chunkData, p.chunkSiblings]);
      assert.equal(ok, true);
      assert.equal(bits, p.value);
      // scripts/gen-vectors.ts: every journal holds 2 entries (dropout layers 0 and 1)
      assert.equal(
        await h.read.verify([Kind.Journal, 2n, it1.journalRoot, BigInt(p.journalIndex), p.journalEntry, p.journalSiblings]),
        true,
      );
    });
  });

  // --------------------------------------------------------------------------------------------------- mask.json
  describe("vectors/mask.json", () => {
    it(`every case (${mask.cases.length}): threshold, PRG words and keep bits`, async () => {
      assert.ok(mask.cases.length >= 100);
      for (const c of mask.cases) {
        const y = c.y;
        assert.equal(await h.read.maskThreshold([BigInt(c.num), BigInt(c.den)]), BigInt(c.threshold));
        assert.equal(maskThreshold(c), c.threshold);
        for (let i = 0; i < c.elements.length; i++) {
          const e = BigInt(c.elements[i]!);
          assert.equal(await h.read.prgWord([y, e]), c.words[i], `word of element ${e}`);
          assert.equal(prgWord(fromHex(y), c.elements[i]!), c.words[i]);
          assert.equal(await h.read.maskBit([y, BigInt(c.num), BigInt(c.den), e]), c.keep[i] === 1, `bit of element ${e}`);
        }
      }
    });

    it(`every full mask (${mask.masks.length})`, async () => {
      for (const m of mask.masks) {
        const bytes = fromHex(await h.read.keepMask([m.y, BigInt(m.num), BigInt(m.den), BigInt(m.n)]));
        assert.equal(Array.from(bytes, (b) => (b ? "1" : "0")).join(""), m.keep, `mask ${m.num}/${m.den}`);
      }
    });

    it("an invalid rate reverts with DropoutRateInvalid", async () => {
      const y = mask.cases[0]!.y;
      await assert.rejects(h.read.maskBit([y, 3n, 3n, 0n]), /DropoutRateInvalid/);
      await assert.rejects(h.read.maskBit([y, 0n, 2n ** 32n, 0n]), /DropoutRateInvalid/);
    });
  });

  // ------------------------------------------------------------------------------------------------ dropout.json
  describe("vectors/dropout.json", () => {
    for (const c of dropout.cases) {
      it(`rate ${c.num}/${c.den}: keep bits, dropped outputs exactly zero, kept outputs accepted`, async () => {
        const y = c.y;
        for (let e = 0; e < c.x.length; e++) {
          const [keep, ok] = await h.read.dropoutElement([y, BigInt(c.num), BigInt(c.den), BigInt(e), c.x[e]!, c.out[e]!]);
          assert.equal(keep, c.keep[e] === "1", `keep bit of element ${e}`);
          assert.equal(ok, true, `element ${e} accepted`);
        }
      });

      it(`rate ${c.num}/${c.den}: wrong outputs refused, same verdict as packages/core`, async () => {
        const yb = fromHex(c.y);
        for (let e = 0; e < c.x.length; e++) {
          const x = c.x[e]!;
          // the unscaled input (wrong unless the rate is 0 or x tiny), a zero, and the float32 4 steps away
          for (const out of [x, 0, (c.out[e]! + 4) >>> 0]) {
            const ts = checkDropoutElement(yb, c, e, x, out).ok;
            const [, ok] = await h.read.dropoutElement([c.y, BigInt(c.num), BigInt(c.den), BigInt(e), x, out]);
            assert.equal(ok, ts, `element ${e}, out 0x${out.toString(16)}`);
          }
        }
      });
    }
  });

  // ---------------------------------------------------------------------------------------------- tolerance.json
  describe("vectors/tolerance.json", () => {
    it(`every dot-product case (${tolerance.dot.length}), as bit arrays and as packed chunk bytes`, async () => {
      assert.ok(tolerance.dot.some((c) => c.accept) && tolerance.dot.some((c) => !c.accept));
      for (const c of tolerance.dot) {
        assert.equal(await h.read.checkDot([c.a, c.b, c.claimed]), c.accept, c.name);
        assert.equal(await h.read.checkDotPacked([packF32(c.a), packF32(c.b), c.claimed]), c.accept, `${c.name} (packed)`);
      }
    });

    it(`every elementwise case (${tolerance.elementwise.length})`, async () => {
      const ops = new Set(tolerance.elementwise.map((c) => c.op));
      for (const op of Object.keys(OP_CODE)) assert.ok(ops.has(op as ElementwiseOp), `no ${op} case`);
      for (const c of tolerance.elementwise) {
        const got = await h.read.checkElementwise([OP_CODE[c.op], c.inputs, BigInt(c.num ?? 0), BigInt(c.den ?? 1), c.claimed]);
        assert.equal(got, c.accept, c.name);
      }
    });

    it("malformed requests revert with named errors", async () => {
      await assert.rejects(h.read.checkDot([[1], [1, 2], 0]), /ToleranceLengthMismatch/);
      await assert.rejects(h.read.checkDot([[], [], 0]), /ToleranceTermCount/);
      await assert.rejects(h.read.checkDotPacked(["0x000000", "0x000000", 0]), /TolerancePackedLength/);
      await assert.rejects(h.read.checkElementwise([0, [1], 0n, 1n, 0]), /ToleranceArity/);
      await assert.rejects(h.read.checkElementwise([5, [1], 0n, 1n, 0]), /ToleranceUnknownOp/);
      await assert.rejects(h.read.checkElementwise([4, [1], 2n, 2n, 0]), /DropoutRateInvalid/);
    });
  });

  // ------------------------------------------------------------------------------------ differential (seeded)
  describe("differential against packages/core on random inputs (seeded)", () => {
    /** A float32 bit pattern with an exponent field spread over the whole range (subnormals and zeros included). */
    function randomBits(next: () => number, expLo = 0, expHi = 254): number {
      const r = next();
      const sign = r & 0x80000000;
      const exp = expLo + (next() % (expHi - expLo + 1));
      const frac = next() & 0x7fffff;
      return (sign | (exp << 23) | frac) >>> 0;
    }

    it("elementwise: identical verdicts (both rules are exact) on 400 random cases near and far from the bound", async () => {
      const next = rng(0x5eed1);
      const ops: ElementwiseOp[] = ["add", "mul", "relu", "copy", "dropoutKeep"];
      let accepted = 0;
      for (let i = 0; i < 400; i++) {
        const op = ops[i % ops.length]!;
        const arity = op === "add" || op === "mul" ? 2 : 1;
        // mostly moderate exponents, sometimes the whole range
        const wide = i % 4 === 0;
        const inputs = Array.from({ length: arity }, () => (wide ? randomBits(next) : randomBits(next, 100, 150)));
        const num = next() % 7;
        const den = num + 1 + (next() % 9);
        const rate = op === "dropoutKeep" ? { num, den } : {};
        // a claimed value near the TypeScript result, perturbed by a few float32 steps (or wide when i % 4 == 0)
        let claimed: number;
        if (wide && i % 8 === 0) claimed = randomBits(next);
        else {
          const x = inputs.map((b) => new Float32Array(new Uint32Array([b]).buffer)[0]!);
          const s = op === "dropoutKeep" ? den / (den - num) : 1;
          const r = op === "add" ? x[0]! + x[1]! : op === "mul" ? x[0]! * x[1]! : op === "relu" ? Math.max(0, x[0]!) : x[0]! * s;
          const f = new Float32Array([r]);
          const bits = new Uint32Array(f.buffer)[0]!;
          claimed = (bits + ((next() % 9) - 4)) >>> 0;
        }
        const ts = checkElementwise({ op, inputs, ...rate }, claimed).ok;
        const sol = await h.read.checkElementwise([OP_CODE[op], inputs, BigInt(num), BigInt(den), claimed]);
        assert.equal(sol, ts, `${op}(${inputs.map((b) => "0x" + b.toString(16)).join(", ")}) rate ${num}/${den} claimed 0x${claimed.toString(16)}`);
        if (ts) accepted++;
      }
      assert.ok(accepted > 50 && accepted < 350, `degenerate sample: ${accepted} of 400 accepted`);
    });

    it("dot product: every value the exact rule accepts is accepted on-chain (soundness), far-off values refused", async () => {
      const next = rng(0xd07);
      let refusedFar = 0;
      for (let i = 0; i < 60; i++) {
        const k = 1 + (next() % 40);
        const lo = i % 5 === 0 ? 0 : 110;
        const hi = i % 5 === 0 ? 254 : 140;
        const a = Array.from({ length: k }, () => randomBits(next, lo, hi));
        const b = Array.from({ length: k }, () => randomBits(next, lo, hi));
        // exact sum of the products in binary64 is not exact; use the TypeScript verdict on a float32 rounding
        let s = 0;
        for (let j = 0; j < k; j++) {
          const x = new Float32Array(new Uint32Array([a[j]!, b[j]!]).buffer);
          s += x[0]! * x[1]!;
        }
        const f = new Float32Array([s]);
        const base = new Uint32Array(f.buffer)[0]!;
        if (((base >>> 23) & 0xff) === 0xff) continue; // overflowed the float32 range: nothing finite to claim
        for (const delta of [0, 1, -1, 3]) {
          const claimed = (base + delta) >>> 0;
          if (((claimed >>> 23) & 0xff) === 0xff) continue;
          const ts = checkDot(a, b, claimed).ok;
          const sol = await h.read.checkDot([a, b, claimed]);
          if (ts) assert.equal(sol, true, `sound: k=${k} case ${i} delta ${delta}`);
        }
        // a claim of twice the magnitude plus one (far off whenever the sum is not tiny) is refused by both
        const far = decode(base);
        if (far.m !== 0n && far.e > -120) {
          const claimed = (base + (1 << 23)) >>> 0; // exponent + 1: the value doubled
          if (((claimed >>> 23) & 0xff) !== 0xff && !checkDot(a, b, claimed).ok) {
            assert.equal(await h.read.checkDot([a, b, claimed]), false, `far: k=${k} case ${i}`);
            refusedFar++;
          }
        }
      }
      assert.ok(refusedFar > 10, `only ${refusedFar} far-off cases exercised`);
    });
  });
});

describe("LibTemplate (Solidity) agrees with vectors/template.json", () => {
  interface TemplateVectors {
    templates: {
      name: string;
      root: Hex;
      nodeCount: number;
      nodes: { opcode: number; numel: number; rows: number; cols: number; inputs: number[]; attrs: number[]; descriptor: Hex; proof: Hex[] }[];
    }[];
  }
  const templates = load<TemplateVectors>("template.json").templates;

  it("opens and decodes every node descriptor of every template against its root", async () => {
    const h = await viem.deployContract("LibHarness");
    for (const t of templates) {
      for (let i = 0; i < t.nodes.length; i++) {
        const n = t.nodes[i]!;
        const got = await h.read.templateOpen([t.root, BigInt(t.nodeCount), BigInt(i), n.descriptor, n.proof]);
        assert.deepEqual(
          { opcode: got.opcode, numel: got.numel, rows: got.rows, cols: got.cols, inputs: [...got.inputs], attrs: [...got.attrs] },
          { opcode: n.opcode, numel: n.numel, rows: n.rows, cols: n.cols, inputs: n.inputs, attrs: n.attrs },
          `${t.name} node ${i}`,
        );
      }
    }
  });

  it("refuses a descriptor opened at another node id, and a truncated descriptor", async () => {
    const h = await viem.deployContract("LibHarness");
    const t = templates[0]!;
    const n = t.nodes[5]!;
    await assert.rejects(h.read.templateOpen([t.root, BigInt(t.nodeCount), 6n, n.descriptor, n.proof]), /TemplateOpeningInvalid/);
    await assert.rejects(h.read.templateOpen([t.root, BigInt(t.nodeCount), 5n, n.descriptor.slice(0, -2) as Hex, n.proof]), /TemplateOpeningInvalid/);
  });
});
