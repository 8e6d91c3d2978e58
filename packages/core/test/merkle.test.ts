import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MerkleTree as RefTree } from "merkletreejs";
import { concat, sha256, toHex, u8 } from "../src/bytes.js";
import {
  buildTree,
  CHUNK_ELEMS,
  depthFor,
  Kind,
  MerkleError,
  openElement,
  openRange,
  rootHash,
  tensorTree,
  verifyElement,
  verifyProof,
  verifyRange,
  verifyRangeProof,
  ZERO,
} from "../src/merkle.js";

const leafData = (n: number, tag = 0) => Array.from({ length: n }, (_, i) => sha256(Uint8Array.of(tag, i & 0xff, i >> 8)).slice(0, 7 + (i % 5)));

/** The same construction through merkletreejs: leaves pre-hashed with 0x00, pairs with 0x01, padded to 2^d with ZERO. */
function referenceRoot(kind: Kind, leaves: Uint8Array[]): Uint8Array {
  const d = depthFor(leaves.length);
  const hashed = leaves.map((l) => Buffer.from(sha256(concat(u8(0), l))));
  if (leaves.length === 1) return rootHash(kind, 1, hashed[0]!);
  const ref = new RefTree(hashed, (b: Buffer) => Buffer.from(sha256(concat(u8(1), b))), {
    hashLeaves: false,
    fillDefaultHash: Buffer.from(ZERO),
  });
  assert.equal(ref.getDepth(), d);
  return rootHash(kind, leaves.length, new Uint8Array(ref.getRoot()));
}

describe("index-bound Merkle tree", () => {
  for (const n of [1, 2, 3, 5, 8, 13, 64, 100, 1000]) {
    it(`root of ${n} leaves equals the merkletreejs construction`, () => {
      const leaves = leafData(n);
      assert.equal(toHex(buildTree(Kind.Rollup, leaves).root), toHex(referenceRoot(Kind.Rollup, leaves)));
    });
  }

  it("every single proof verifies at its index and fails at every other index", () => {
    const leaves = leafData(13);
    const t = buildTree(Kind.Graph, leaves);
    for (let i = 0; i < 13; i++) {
      const p = t.proof(i);
      assert.ok(verifyProof(Kind.Graph, 13, t.root, i, leaves[i]!, p.siblings));
      for (let j = 0; j < 16; j++) if (j !== i) assert.ok(!verifyProof(Kind.Graph, 13, t.root, j, leaves[i]!, p.siblings), `${i} at ${j}`);
    }
  });

  it("refuses padding positions, wrong lengths, wrong kinds and flipped bits", () => {
    const leaves = leafData(5);
    const t = buildTree(Kind.Graph, leaves);
    const p = t.proof(4);
    assert.ok(verifyProof(Kind.Graph, 5, t.root, 4, leaves[4]!, p.siblings));
    assert.ok(!verifyProof(Kind.Graph, 6, t.root, 4, leaves[4]!, p.siblings), "len is bound");
    assert.ok(!verifyProof(Kind.Journal, 5, t.root, 4, leaves[4]!, p.siblings), "kind is bound");
    assert.ok(!verifyProof(Kind.Graph, 5, t.root, 5, ZERO, t.proof(4).siblings), "padding index refused");
    assert.ok(!verifyProof(Kind.Graph, 5, t.root, 4, leaves[4]!, p.siblings.slice(1)), "short proof refused");
    for (let s = 0; s < p.siblings.length; s++) {
      const bad = p.siblings.map((x) => x.slice());
      const row = bad[s]!;
      row[s % 32] = row[s % 32]! ^ 1;
      assert.ok(!verifyProof(Kind.Graph, 5, t.root, 4, leaves[4]!, bad));
    }
    assert.throws(() => t.proof(5), MerkleError);
    assert.throws(() => buildTree(Kind.Graph, []), /at least one leaf/);
  });

  it("range multiproofs verify for every contiguous range and only in order", () => {
    for (const n of [1, 3, 7, 8, 13]) {
      const leaves = leafData(n, 1);
      const t = buildTree(Kind.Dataset, leaves);
      for (let a = 0; a < n; a++) {
        for (let b = a + 1; b <= n; b++) {
          const rp = t.rangeProof(a, b);
          assert.ok(verifyRangeProof(Kind.Dataset, n, t.root, a, leaves.slice(a, b), rp.siblings), `${n} [${a},${b})`);
          if (rp.siblings.length > 1) {
            const swapped = [rp.siblings[1]!, rp.siblings[0]!, ...rp.siblings.slice(2)];
            assert.ok(!verifyRangeProof(Kind.Dataset, n, t.root, a, leaves.slice(a, b), swapped));
          }
          assert.ok(!verifyRangeProof(Kind.Dataset, n, t.root, a, leaves.slice(a, b), [...rp.siblings, ZERO]), "extra sibling refused");
        }
      }
    }
  });
});

describe("tensor commitments", () => {
  const tensor = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3 - (i % 7) * 1e-3);

  it("chunks of 256 float32 little-endian; the last chunk is short and unpadded", () => {
    const t = tensor(600);
    const tree = tensorTree(t);
    assert.equal(tree.numLeaves, 3);
    const bytes = new Uint8Array(t.buffer);
    const chunks = [bytes.slice(0, 1024), bytes.slice(1024, 2048), bytes.slice(2048)];
    assert.equal(chunks[2]!.length, 4 * (600 - 512));
    const hashed = chunks.map((c) => sha256(concat(u8(0), c)));
    const ref = new RefTree(hashed.map((h) => Buffer.from(h)), (b: Buffer) => Buffer.from(sha256(concat(u8(1), b))), {
      hashLeaves: false,
      fillDefaultHash: Buffer.from(ZERO),
    });
    assert.equal(toHex(tree.root), toHex(rootHash(Kind.Tensor, 600, new Uint8Array(ref.getRoot()))));
  });

  it("opens single elements and ranges, and rejects tampering", () => {
    const t = tensor(1000);
    const tree = tensorTree(t);
    const view = new Uint32Array(t.buffer);
    for (const e of [0, 1, 255, 256, 511, 999]) {
      const o = openElement(t, tree, e);
      assert.equal(verifyElement(tree.root, 1000, o), view[e]);
      const bad = { ...o, chunkData: o.chunkData.slice() };
      bad.chunkData[0]! ^= 0x80;
      assert.equal(verifyElement(tree.root, 1000, bad), null);
      assert.equal(verifyElement(tree.root, 1001, o), null, "length is bound");
    }
    for (const [a, b] of [[0, 1000], [10, 20], [250, 260], [255, 769], [999, 1000]] as const) {
      const o = openRange(t, tree, a, b);
      assert.deepEqual(verifyRange(tree.root, 1000, o), view.slice(a, b));
    }
    assert.equal(CHUNK_ELEMS, 256);
  });
});
