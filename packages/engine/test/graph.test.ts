import { test } from "node:test";
import assert from "node:assert/strict";
import { bitsOf, decodeDescriptor, encodeDescriptor, Opcode, toHex } from "@refereed/core";
import { GraphTemplateError, mlpTemplate, numel, templateDescriptors, templateHash, templateRoot, validateTemplate, type GraphNode, type GraphTemplate } from "../src/index.js";
import { DEFAULT_MODEL } from "./helpers.js";

test("the MLP template: params first (node id = param id), every parameter has an update node, shapes check", () => {
  const t = mlpTemplate(DEFAULT_MODEL);
  assert.equal(t.params.length, 12); // 3 layers × (w, b) × (value, velocity)
  t.params.forEach((p, i) => {
    assert.equal(t.nodes[i]!.op, "param");
    assert.equal(t.nodes[i]!.attrs.param, i);
    const u = t.nodes[t.updateOf[i]!]!;
    assert.ok(u.op === "sgd" || u.op === "momentum");
    assert.deepEqual(u.shape, p.shape);
  });
  assert.equal(t.dropout.length, 2);
  assert.equal(templateHash(t), templateHash(mlpTemplate(DEFAULT_MODEL)));
  assert.notEqual(templateHash(t), templateHash(mlpTemplate({ ...DEFAULT_MODEL, lr: 0.05 })));
});

test("contiguity: every dot-product node reads whole rows (weights stored [out, in]; columns come from transpose nodes)", () => {
  const t = mlpTemplate(DEFAULT_MODEL);
  for (const n of t.nodes) {
    if (n.op !== "linear" && n.op !== "matmul_nt") continue;
    const [a, b] = [t.nodes[n.inputs[0]!]!, t.nodes[n.inputs[1]!]!];
    // out[m, j] = Σ_k a[m, k]·b[j, k]: both operands are read along their last (contiguous) axis
    assert.equal(a.shape[1], b.shape[1], `${n.name}: inner dimension`);
    assert.deepEqual(n.shape, [a.shape[0], b.shape[0]]);
  }
  // the backward pass needs W columns: it reads a transpose node of W instead
  const w2T = t.nodes.find((n) => n.name === "fc2.w.T")!;
  assert.equal(w2T.op, "transpose");
  assert.equal(t.nodes[w2T.inputs[0]!]!.name, "fc2.w");
  assert.ok(t.nodes.some((n) => n.op === "matmul_nt" && n.inputs.includes(w2T.id)));
});

test("validateTemplate refuses bad wiring, shapes and dropout references, naming the node", () => {
  const t = mlpTemplate({ sizes: [4, 3, 2], batch: 2, dropout: [{ num: 1, den: 2 }], lr: 0.5 });
  type MutableNode = { id: number; op: GraphNode["op"]; name: string; inputs: number[]; shape: number[]; attrs: Record<string, number> };
  const mutate = (f: (nodes: MutableNode[]) => void): GraphTemplate => {
    const nodes: MutableNode[] = t.nodes.map((n) => ({ ...n, inputs: [...n.inputs], shape: [...n.shape], attrs: { ...n.attrs } }));
    f(nodes);
    return { ...t, nodes };
  };
  const z1 = t.nodes.find((n) => n.name === "fc1.z")!.id;
  assert.throws(() => validateTemplate(mutate((ns) => (ns[z1]!.inputs[1] = z1 + 1))), (e: unknown) => e instanceof GraphTemplateError && e.nodeId === z1);
  assert.throws(() => validateTemplate(mutate((ns) => (ns[z1]!.shape = [2, 4]))), (e: unknown) => e instanceof GraphTemplateError && /output must be/.test(e.message));
  const d = t.dropout[0]!.node;
  assert.throws(() => validateTemplate(mutate((ns) => (ns[d]!.attrs.num = 0))), /no dropout layer/);
  assert.equal(numel(t.nodes[z1]!.shape), 6);
});

test("SPEC §7 descriptors: opcodes, shapes and attributes of the template, and a root that changes with any attribute", () => {
  const t = mlpTemplate(DEFAULT_MODEL);
  const ds = templateDescriptors(t);
  assert.equal(ds.length, t.nodes.length);
  ds.forEach((d, i) => {
    const n = t.nodes[i]!;
    assert.equal(d.opcode, Opcode[n.op]);
    assert.equal(d.numel, numel(n.shape));
    assert.deepEqual(d.inputs, n.inputs);
    assert.deepEqual(decodeDescriptor(encodeDescriptor(d)), d);
  });
  const drop = ds[t.dropout[0]!.node]!;
  assert.deepEqual(drop.attrs, [1, 1, 10]);
  const sgd = ds[t.updateOf[0]!]!;
  assert.deepEqual(sgd.attrs, [bitsOf(Math.fround(0.1)), 0]);
  const z1 = ds[t.nodes.find((n) => n.name === "fc1.z")!.id]!;
  assert.deepEqual([z1.rows, z1.cols], [64, 128]);
  // K / C of the shaped ops: the first input's cols (x [64, 784] for fc1.z; the logits' 10 classes for the loss)
  assert.deepEqual(z1.attrs, [784]);
  for (const [name, k] of [["fc2.z", 128], ["fc3.z", 64], ["fc1.dw", 64], ["fc2.dout", 10], ["fc3.db", 64], ["loss", 10]] as const) {
    const n = t.nodes.find((x) => x.name === name)!;
    assert.deepEqual(ds[n.id]!.attrs, [k], name);
    const first = t.nodes[n.inputs[0]!]!.shape;
    assert.equal(k, first.length > 1 ? first[1] : 1, `${name}: the first input's cols`);
  }
  const root = toHex(templateRoot(t));
  assert.notEqual(toHex(templateRoot(mlpTemplate({ ...DEFAULT_MODEL, momentum: 0.9 }))), root);
  assert.notEqual(toHex(templateRoot(mlpTemplate({ ...DEFAULT_MODEL, dropout: [{ num: 1, den: 10 }, { num: 2, den: 10 }] }))), root);
});
