/**
 * Regenerates vectors/*.json from packages/core (npm run vectors). Deterministic: running it twice gives the
 * same files. Both the TypeScript tests and the Solidity harness tests read these files.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  applyDropout,
  bitsOf,
  buildTree,
  chunkWordRoot,
  concat,
  elementOpening,
  encodeIterationLeaf,
  encodeJournalEntry,
  fromBits,
  graphTree,
  journalTree,
  keepMask,
  Kind,
  maskString,
  maskThreshold,
  nextUp,
  openElement,
  openElementWord,
  openRange,
  prgWord,
  rollupTree,
  sha256,
  tensorTree,
  toHex,
  u32be,
  WORD_TREE_DEPTH,
  type JournalEntry,
} from "@refereed/core";
import { checkDot, checkElementwise, lastDotMargin, type ElementwiseCase } from "../packages/core/src/tolerance.js";
import { dotF32, firstRejectedAbove, SUMMATION_ORDERS } from "../packages/core/src/summation.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "vectors");

/** Deterministic bytes: SHA-256 in counter mode over a label. */
function det(label: string, n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; parts.length * 32 < n; i++) parts.push(sha256(concat(new TextEncoder().encode(label), u32be(i))));
  return concat(...parts).slice(0, n);
}

function detFloat(label: string, i: number, scale: number): number {
  const b = det(`${label}/${i}`, 4);
  return Math.fround(((new DataView(b.buffer).getUint32(0) / 2 ** 32) - 0.5) * scale);
}

function detInt(label: string, max: number): number {
  const b = det(label, 4);
  return new DataView(b.buffer).getUint32(0) % max;
}

// ------------------------------------------------------------------------------------------------ merkle
function merkleVectors() {
  const kinds = [Kind.Graph, Kind.Journal, Kind.Rollup, Kind.Dataset, Kind.State];
  const trees = [1, 2, 3, 5, 8, 13, 64, 100, 1000].map((n, t) => {
    const kind = kinds[t % kinds.length]!;
    const leaves = Array.from({ length: n }, (_, i) => det(`leaf/${n}/${i}`, 1 + ((i * 7) % 40)));
    const tree = buildTree(kind, leaves);
    const idx = [...new Set([0, n - 1, n >> 1, detInt(`idx/${n}`, n)])];
    const ranges = n === 1 ? [[0, 1]] : [[0, n], [0, 1], [n - 1, n], [Math.floor(n / 3), Math.floor((2 * n) / 3) + 1]];
    return {
      kind,
      len: n,
      leaves: leaves.map(toHex),
      root: toHex(tree.root),
      proofs: idx.map((i) => ({ index: i, siblings: tree.proof(i).siblings.map(toHex) })),
      multiproofs: ranges.map(([a, b]) => ({ start: a!, end: b!, siblings: tree.rangeProof(a!, b!).siblings.map(toHex) })),
    };
  });
  const tensors = [1, 255, 256, 257, 600, 1000, 4099].map((n) => {
    const t = Float32Array.from({ length: n }, (_, i) => detFloat(`tensor/${n}`, i, 8));
    const tree = tensorTree(t);
    const els = [...new Set([0, n - 1, n >> 1, Math.min(n - 1, 256)])];
    const ranges = [[0, n], [n >> 1, n], [Math.max(0, n - 300), Math.max(1, n - 10)]].filter(([a, b]) => a! < b!);
    return {
      len: n,
      bits: Array.from(new Uint32Array(t.buffer)),
      root: toHex(tree.root),
      openings: els.map((e) => {
        const o = openElement(t, tree, e);
        return { element: e, chunk: o.chunk, chunkData: toHex(o.chunkData), siblings: o.siblings.map(toHex) };
      }),
      ranges: ranges.map(([a, b]) => {
        const o = openRange(t, tree, a!, b!);
        return { start: a!, end: b!, firstChunk: o.firstChunk, chunks: o.chunks.map(toHex), siblings: o.siblings.map(toHex) };
      }),
    };
  });
  // nested: 3 iterations, each a graph of 4 node tensors and a journal of 2 entries
  const iterations = [];
  const steps = [];
  for (let s = 0; s < 3; s++) {
    const tensorsOf = [3, 300, 17, 600].map((n, j) => Float32Array.from({ length: n }, (_, i) => detFloat(`nested/${s}/${j}`, i, 2)));
    const trees = tensorsOf.map(tensorTree);
    const g = graphTree(trees.map((t) => t.root));
    const entries: JournalEntry[] = [0, 1].map((layer) => ({
      layerId: layer,
      x: det(`x/${s}/${layer}`, 32),
      pi: det(`pi/${s}/${layer}`, 128),
      y: det(`y/${s}/${layer}`, 32),
      maskHash: det(`m/${s}/${layer}`, 32),
      qHash: det(`q/${s}/${layer}`, 32),
      n: 300,
    }));
    const j = journalTree(entries);
    const leaf = { step: BigInt(100 + s), graphRoot: g.root, journalRoot: j.root };
    iterations.push(leaf);
    steps.push({ tensorsOf, trees, g, j, entries });
  }
  const r = rollupTree(iterations);
  const pick = steps[1]!;
  const el = openElement(pick.tensorsOf[3]!, pick.trees[3]!, 513);
  const nested = {
    rollupRoot: toHex(r.root),
    iterations: iterations.map((it) => ({ step: Number(it.step), graphRoot: toHex(it.graphRoot), journalRoot: toHex(it.journalRoot), leaf: toHex(encodeIterationLeaf(it)) })),
    path: {
      iteration: 1,
      iterationSiblings: r.proof(1).siblings.map(toHex),
      node: 3,
      nodeCount: 4,
      tensorRoot: toHex(pick.trees[3]!.root),
      nodeSiblings: pick.g.proof(3).siblings.map(toHex),
      tensorLen: 600,
      element: 513,
      chunk: el.chunk,
      chunkData: toHex(el.chunkData),
      chunkSiblings: el.siblings.map(toHex),
      value: new Uint32Array(pick.tensorsOf[3]!.buffer)[513],
      journalIndex: 1,
      journalEntry: toHex(encodeJournalEntry(pick.entries[1]!)),
      journalSiblings: pick.j.proof(1).siblings.map(toHex),
    },
  };
  return { chunkElems: 256, trees, tensors, nested };
}

// ------------------------------------------------------------------------------------------------ masks
const RATES: [number, number][] = [[0, 1], [1, 10], [1, 5], [1, 4], [1, 3], [1, 2], [2, 3], [9, 10], [1, 1000], [4294967294, 4294967295]];

function maskVectors() {
  const cases = [];
  for (const [num, den] of RATES) {
    for (let s = 0; s < 12; s++) {
      const y = det(`mask/${num}/${den}/${s}`, 32);
      const elements = [0, 7, 8, 1023, detInt(`e/${num}/${s}`, 1_000_000)];
      const words = elements.map((e) => prgWord(y, e));
      const t = maskThreshold({ num, den });
      cases.push({ y: toHex(y), num, den, threshold: t, elements, words, keep: words.map((w) => (w >= t ? 1 : 0)) });
    }
  }
  const masks = RATES.map(([num, den]) => {
    const y = det(`fullmask/${num}/${den}`, 32);
    return { y: toHex(y), num, den, n: 100, keep: maskString(keepMask(y, { num, den }, 100)) };
  });
  return { cases, masks };
}

function dropoutVectors() {
  const cases = RATES.filter(([num]) => num < 4294967294).map(([num, den], i) => {
    const y = det(`dropout/${i}`, 32);
    const x = Float32Array.from({ length: 40 }, (_, k) => detFloat(`dx/${i}`, k, k % 5 === 0 ? 1e-3 : 6));
    const { mask, out, vdo } = applyDropout(x, y, { num, den });
    return {
      y: toHex(y),
      num,
      den,
      x: Array.from(new Uint32Array(x.buffer)),
      out: Array.from(new Uint32Array(out.buffer)),
      keep: maskString(mask),
      q: Array.from(vdo.q),
      qPrime: Array.from(vdo.qPrime),
      maskHash: toHex(vdo.maskHash),
      qHash: toHex(vdo.qHash),
    };
  });
  return { cases };
}

// ------------------------------------------------------------------------------------------------ tolerance
function farFromEdge(): boolean {
  const m = lastDotMargin!;
  const d = m.lhs > m.rhs ? m.lhs - m.rhs : m.rhs - m.lhs;
  return d > m.rhs >> 90n;
}

function toleranceVectors() {
  const dot: { name: string; a: number[]; b: number[]; claimed: number; accept: boolean }[] = [];
  const push = (name: string, a: number[], b: number[], claimed: number) => {
    const v = checkDot(a.map(bitsOf), b.map(bitsOf), bitsOf(claimed));
    if (v.ok || v.reason === "out-of-bound") {
      if (!farFromEdge()) return; // would depend on truncation details; not a portable vector
    }
    dot.push({ name, a: a.map(bitsOf), b: b.map(bitsOf), claimed: bitsOf(claimed), accept: v.ok });
  };
  const pushBits = (name: string, a: number[], b: number[], claimed: number, accept: boolean) => {
    const v = checkDot(a, b, claimed);
    if (v.ok !== accept) throw new Error(`vector ${name}: expected ${accept}`);
    dot.push({ name, a, b, claimed, accept });
  };
  for (const k of [1, 2, 7, 64, 256, 784]) {
    for (let s = 0; s < 2; s++) {
      const scale = s === 0 ? 1 : 1e-3;
      const a = Array.from({ length: k }, (_, i) => detFloat(`dot/a/${k}/${s}`, i, 2 * scale));
      const b = Array.from({ length: k }, (_, i) => detFloat(`dot/b/${k}/${s}`, i, 2));
      for (const order of SUMMATION_ORDERS) push(`k${k}/s${s}/${order}`, a, b, dotF32(a, b, order));
      const c = dotF32(a, b, "f64-then-round");
      const accepts = (cb: number) => checkDot(a.map(bitsOf), b.map(bitsOf), cb).ok;
      const hi = firstRejectedAbove(c, accepts, c);
      const lo = -firstRejectedAbove(-c, (cb) => accepts(bitsOf(-fromBits(cb))), -c);
      push(`k${k}/s${s}/just-above-bound`, a, b, hi);
      push(`k${k}/s${s}/just-below-bound`, a, b, lo);
      let far = hi;
      for (let i = 0; i < 64; i++) far = nextUp(far);
      push(`k${k}/s${s}/far-above-bound`, a, b, far);
    }
  }
  // cancellation, subnormals, zeros, specials
  const f = (xs: number[]) => xs.map(Math.fround);
  const ca = f([1e20, 1, -1e20, 3.5e-30]);
  const cb = f([1, 1, 1, 1e-10]);
  for (const order of SUMMATION_ORDERS) push(`cancellation/${order}`, ca, cb, dotF32(ca, cb, order));
  push("subnormal-products/flushed", f([1e-30, 2e-25]), f([1e-20, 1e-20]), 0);
  push("subnormal-inputs", [fromBits(5), fromBits(0x7fffff)], [1, 1], fromBits(0x800004));
  push("zeros", [0, -0], [5, 3], 0);
  pushBits("nan-claimed", [bitsOf(1)], [bitsOf(1)], 0x7fc00000, false);
  pushBits("inf-claimed", [bitsOf(1)], [bitsOf(1)], 0x7f800000, false);
  pushBits("inf-input", [0x7f800000], [bitsOf(1)], bitsOf(1), false);
  pushBits("nan-input", [0xffc00001], [bitsOf(1)], bitsOf(1), false);
  pushBits("max-exponents", [bitsOf(3e38)], [bitsOf(0.5)], bitsOf(Math.fround(1.5e38)), true);

  const elementwise: (ElementwiseCase & { name: string; claimed: number; accept: boolean })[] = [];
  const ew = (name: string, c: ElementwiseCase, claimed: number) => {
    const v = checkElementwise(c, bitsOf(claimed));
    elementwise.push({ name, ...c, inputs: [...c.inputs], claimed, accept: v.ok });
  };
  const fr = Math.fround;
  const xs = [1.1, -2.5, 3e-3, 7e10, 1e-39, -0.75].map(fr);
  xs.forEach((x, i) => {
    const y = fr(xs[(i + 1) % xs.length]! * 1.7);
    ew(`add/${i}`, { op: "add", inputs: [bitsOf(x), bitsOf(y)] }, fr(x + y));
    ew(`mul/${i}`, { op: "mul", inputs: [bitsOf(x), bitsOf(y)] }, fr(x * y));
    let off = fr(x * y);
    for (let k = 0; k < 5; k++) off = nextUp(off);
    ew(`mul/${i}/5ulp-off`, { op: "mul", inputs: [bitsOf(x), bitsOf(y)] }, off);
    ew(`relu/${i}`, { op: "relu", inputs: [bitsOf(x)] }, Math.max(x, 0));
    ew(`relu/${i}/identity`, { op: "relu", inputs: [bitsOf(x)] }, x);
    ew(`copy/${i}`, { op: "copy", inputs: [bitsOf(x)] }, x);
    for (const [num, den] of [[1, 2], [1, 3], [1, 10], [2, 3]] as const) {
      const good = fr(x * (den / (den - num)));
      ew(`dropoutKeep/${i}/${num}-${den}`, { op: "dropoutKeep", inputs: [bitsOf(x)], num, den }, good);
      ew(`dropoutKeep/${i}/${num}-${den}/unscaled`, { op: "dropoutKeep", inputs: [bitsOf(x)], num, den }, x);
      let up = good;
      for (let k = 0; k < 3; k++) up = nextUp(up);
      ew(`dropoutKeep/${i}/${num}-${den}/3ulp-off`, { op: "dropoutKeep", inputs: [bitsOf(x)], num, den }, up);
    }
  });
  ew("copy/nan", { op: "copy", inputs: [0x7fc00000] }, fromBits(0x7fc00000));
  ew("add/inf", { op: "add", inputs: [0x7f800000, bitsOf(1)] }, Infinity);
  ew("mul/ftz", { op: "mul", inputs: [bitsOf(fr(1e-30)), bitsOf(fr(1e-20))] }, 0);
  ew("add/huge-claim", { op: "add", inputs: [bitsOf(1), bitsOf(1)] }, fr(3e38));
  return {
    dot,
    elementwise: elementwise.map((e) => ({ ...e, claimed: bitsOf(e.claimed) })),
  };
}

// ------------------------------------------------------------------------------------------------ template
async function templateVectors() {
  const { mlpTemplate, templateDescriptors } = await import("@refereed/engine");
  const { encodeDescriptor, templateTree } = await import("@refereed/core");
  const models = [
    { name: "mnist-mlp", sizes: [784, 128, 64, 10], batch: 64, dropout: [{ num: 1, den: 10 }, { num: 1, den: 10 }], lr: 0.05, momentum: 0.9 },
    { name: "tiny-sgd", sizes: [16, 8, 4], batch: 4, dropout: [{ num: 1, den: 5 }], lr: 0.1 },
  ];
  return {
    templates: models.map(({ name, ...cfg }) => {
      const d = templateDescriptors(mlpTemplate(cfg));
      const tree = templateTree(d);
      return {
        name,
        root: toHex(tree.root),
        nodeCount: d.length,
        nodes: d.map((n, i) => ({ ...n, inputs: [...n.inputs], attrs: [...n.attrs], descriptor: toHex(encodeDescriptor(n)), proof: tree.proof(i).siblings.map(toHex) })),
      };
    }),
  };
}

// ------------------------------------------------------------------------------------------------ word tree
function wordTreeVectors() {
  // full chunks, short last chunks (whole elements), one element; edge offsets and a few in between
  const lengths = [1024, 1020, 992, 176, 36, 32, 4];
  return {
    depth: WORD_TREE_DEPTH,
    cases: lengths.map((len, t) => {
      const chunk = det(`wordtree/${t}`, len);
      const n = len / 4;
      const offsets = [...new Set([0, 1, 7, 8, n >> 1, n - 2, n - 1].filter((o) => o >= 0 && o < n))];
      return {
        chunk: toHex(chunk),
        root: toHex(chunkWordRoot(chunk)),
        openings: offsets.map((offset) => {
          const opening = elementOpening(chunk, offset);
          return { offset, opening: toHex(opening), bits: openElementWord(chunkWordRoot(chunk), offset, opening) };
        }),
      };
    }),
  };
}

async function main() {
  mkdirSync(out, { recursive: true });
  const files: Record<string, unknown> = {
    "merkle.json": merkleVectors(),
    "mask.json": maskVectors(),
    "dropout.json": dropoutVectors(),
    "tolerance.json": toleranceVectors(),
    "template.json": await templateVectors(),
    "wordtree.json": wordTreeVectors(),
  };
  const { makeTranscendentalVectors } = await import("../packages/core/src/transcendental-vectors.js");
  files["transcendental.json"] = makeTranscendentalVectors();
  const vrfModule = join(root, "packages/core/src/vrf-vectors.ts");
  if (existsSync(vrfModule)) {
    const { makeVrfVectors } = (await import("../packages/core/src/vrf-vectors.js")) as { makeVrfVectors: () => unknown };
    files["vrf.json"] = makeVrfVectors();
  } else {
    console.warn("vrf-vectors.ts not present: vectors/vrf.json not regenerated");
  }
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(out, name), JSON.stringify(content, null, 1) + "\n");
    console.log(`wrote vectors/${name}`);
  }
}

await main();
