/**
 * The static graph template of one training iteration: a list of nodes, each with an op, attributes, input
 * wiring (node ids) and an output shape. One iteration computes every node's output tensor; the node outputs
 * are what the trainer commits (the graph tree's leaf j is tensorRoot(output of node j), docs/SPEC.md §3).
 *
 * Sources are nodes too: `param` nodes read the state (parameter p; in iteration i it must equal the update
 * node of parameter p in iteration i−1, or the rollup's start state), `data_x` / `data_y` read the batch the
 * schedule names (opened against the dataset root).
 *
 * Contiguity rule (checked by validateTemplate): every output element of a dot-product op reads one contiguous
 * row of each operand, so an on-chain check needs O(K) contiguous elements. Backward passes that need a column
 * read a materialized `transpose` node instead.
 */
import { bitsOf, checkRate, Opcode, sha256, templateTree, toHex, utf8, type DropoutRate, type Hex, type NodeDescriptor } from "@refereed/core";
import { ConfigError, GraphTemplateError } from "./errors.js";

export type OpName =
  | "param" // attrs: param — the state tensor `param`
  | "data_x" // the batch's examples [B, D]
  | "data_y" // the batch's labels [B] (float32 integers)
  | "linear" // [x [M,K], w [N,K], b [N]] -> [M,N]: x·wᵀ + b
  | "matmul_nt" // [a [M,K], b [N,K]] -> [M,N]: a·bᵀ
  | "transpose" // [a [R,C]] -> [C,R]
  | "row_sum" // [a [R,C]] -> [R]
  | "relu" // [x] -> same shape
  | "relu_bwd" // [g, z] -> z > 0 ? g : 0
  | "dropout" // [x], attrs: layer, num, den -> keep ? x·den/(den−num) : 0
  | "dropout_bwd" // [g], attrs: layer, num, den (the same mask as the forward layer)
  | "softmax" // [z [B,C]] -> [B,C]
  | "xent_loss" // [z [B,C], y [B]] -> [B]
  | "xent_grad" // [p [B,C], y [B]] -> [B,C]: (p − onehot(y)) / B
  | "momentum" // [v, g], attrs: mu, param -> mu·v + g (the next value of velocity parameter `param`)
  | "sgd"; // [w, g], attrs: lr, param -> w − lr·g (the next value of parameter `param`)

export interface GraphNode {
  readonly id: number;
  readonly op: OpName;
  /** human-readable name, e.g. "fc1.z" (not committed; the template hash covers it) */
  readonly name: string;
  readonly inputs: readonly number[];
  readonly shape: readonly number[];
  readonly attrs: Readonly<Record<string, number>>;
}

export interface ParamSpec {
  readonly id: number;
  readonly name: string;
  readonly shape: readonly number[];
  /** initialization: uniform(−limit, limit) with limit = sqrt(6 / fanIn) ("he"), or all zeros */
  readonly init: "he" | "zeros";
  readonly fanIn: number;
}

export interface DropoutLayerSpec {
  /** layer id used in the VRF context (SPEC §4) */
  readonly layer: number;
  /** journal ordinal (index in the journal tree) */
  readonly ordinal: number;
  /** the forward dropout node */
  readonly node: number;
  readonly num: number;
  readonly den: number;
}

export interface GraphTemplate {
  readonly version: 1;
  readonly kind: "mlp";
  readonly sizes: readonly number[];
  readonly batch: number;
  readonly classes: number;
  readonly inputDim: number;
  readonly params: readonly ParamSpec[];
  readonly nodes: readonly GraphNode[];
  readonly dropout: readonly DropoutLayerSpec[];
  /** updateOf[p] = node id whose output is parameter p's next value */
  readonly updateOf: readonly number[];
  readonly dataX: number;
  readonly dataY: number;
  readonly lossNode: number;
  readonly logitsNode: number;
}

export interface MlpConfig {
  /** layer widths, input first: e.g. [784, 128, 64, 10] */
  readonly sizes: readonly number[];
  readonly batch: number;
  /** drop probability after each hidden layer (sizes.length − 2 entries); num = 0 disables it */
  readonly dropout: readonly DropoutRate[];
  /** learning rate; rounded to float32 */
  readonly lr: number;
  /** momentum coefficient (float32), 0 or absent = plain SGD */
  readonly momentum?: number;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Builds the template of one SGD iteration of an MLP with ReLU, dropout after every hidden layer, softmax CE. */
export function mlpTemplate(cfg: MlpConfig): GraphTemplate {
  const { sizes, batch: B } = cfg;
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new ConfigError("sizes", `need at least two positive integer widths, got [${sizes.join(", ")}]`);
  }
  if (!Number.isInteger(B) || B < 1) throw new ConfigError("batch", `must be a positive integer, got ${B}`);
  const L = sizes.length - 1;
  if (cfg.dropout.length !== L - 1) throw new ConfigError("dropout", `need ${L - 1} rates (one per hidden layer), got ${cfg.dropout.length}`);
  cfg.dropout.forEach((r) => checkRate(r));
  const lr = Math.fround(cfg.lr);
  if (!(lr > 0) || !Number.isFinite(lr)) throw new ConfigError("lr", `must be a positive finite float32, got ${cfg.lr}`);
  const mu = Math.fround(cfg.momentum ?? 0);
  if (!(mu >= 0 && mu < 1)) throw new ConfigError("momentum", `must be in [0, 1), got ${cfg.momentum}`);
  const C = sizes[L]!;

  const params: ParamSpec[] = [];
  const nodes: GraphNode[] = [];
  const node = (op: OpName, name: string, inputs: number[], shape: number[], attrs: Record<string, number> = {}): number => {
    const id = nodes.length;
    nodes.push({ id, op, name, inputs, shape, attrs });
    return id;
  };
  const W: number[] = [];
  const bvec: number[] = [];
  for (let l = 0; l < L; l++) {
    const wid = params.length;
    params.push({ id: wid, name: `fc${l + 1}.w`, shape: [sizes[l + 1]!, sizes[l]!], init: "he", fanIn: sizes[l]! });
    W.push(wid);
    const bid = params.length;
    params.push({ id: bid, name: `fc${l + 1}.b`, shape: [sizes[l + 1]!], init: "zeros", fanIn: sizes[l]! });
    bvec.push(bid);
  }
  const velocityOf: number[] = [];
  if (mu > 0) {
    const base = params.length;
    for (let p = 0; p < base; p++) {
      const src = params[p]!;
      velocityOf[p] = params.length;
      params.push({ id: params.length, name: `${src.name}.v`, shape: src.shape, init: "zeros", fanIn: src.fanIn });
    }
  }
  // param nodes: node id = param id
  for (const p of params) node("param", p.name, [], [...p.shape], { param: p.id });
  const dataX = node("data_x", "x", [], [B, sizes[0]!]);
  const dataY = node("data_y", "y", [], [B]);

  // forward
  const dropout: DropoutLayerSpec[] = [];
  const zs: number[] = [];
  const acts: number[] = [dataX]; // input of layer l
  let h = dataX;
  for (let l = 0; l < L; l++) {
    const z = node("linear", `fc${l + 1}.z`, [h, W[l]!, bvec[l]!], [B, sizes[l + 1]!]);
    zs.push(z);
    if (l < L - 1) {
      const a = node("relu", `fc${l + 1}.relu`, [z], [B, sizes[l + 1]!]);
      const rate = cfg.dropout[l]!;
      const layer = l + 1;
      const d = node("dropout", `fc${l + 1}.dropout`, [a], [B, sizes[l + 1]!], { layer, num: rate.num, den: rate.den });
      dropout.push({ layer, ordinal: dropout.length, node: d, num: rate.num, den: rate.den });
      h = d;
      acts.push(d);
    }
  }
  const logits = zs[L - 1]!;
  const prob = node("softmax", "softmax", [logits], [B, C]);

  // backward. The two operands of each matmul_nt are placed at sibling leaves of the graph tree (ids 2i, 2i + 1)
  // where parity allows, so one element's check carries one graph proof for both (the verifier authenticates the
  // second as the first's sibling, as it does for a linear's bias; docs/GAME.md §5). The loss node, which only
  // reads the logits and the labels, is emitted wherever it realigns a pair, else after the backward pass.
  let lossNode = -1;
  const emitLoss = () => {
    lossNode = node("xent_loss", "loss", [logits, dataY], [B]);
  };
  const aligned = () => {
    if (nodes.length % 2 === 1 && lossNode < 0) emitLoss();
  };
  /** The weight transpose that layer l's input gradient reads, emitted right after that layer's output gradient. */
  const wTs: number[] = [];
  const weightT = (l: number) => {
    if (l > 0) wTs[l] = node("transpose", `fc${l + 1}.w.T`, [W[l]!], [sizes[l]!, sizes[l + 1]!]);
  };
  aligned();
  let g = node("xent_grad", `fc${L}.dz`, [prob, dataY], [B, C]);
  weightT(L - 1);
  const gradW: number[] = [];
  const gradB: number[] = [];
  for (let l = L - 1; l >= 0; l--) {
    const out = sizes[l + 1]!;
    const inp = sizes[l]!;
    aligned();
    const gT = node("transpose", `fc${l + 1}.dz.T`, [g], [out, B]);
    const aT = node("transpose", `fc${l + 1}.in.T`, [acts[l]!], [inp, B]);
    gradW[l] = node("matmul_nt", `fc${l + 1}.dw`, [gT, aT], [out, inp]);
    gradB[l] = node("row_sum", `fc${l + 1}.db`, [gT], [out]);
    if (l > 0) {
      const da = node("matmul_nt", `fc${l}.dout`, [g, wTs[l]!], [B, inp]);
      const dl = dropout[l - 1]!;
      const dh = node("dropout_bwd", `fc${l}.dropout.bwd`, [da], [B, inp], { layer: dl.layer, num: dl.num, den: dl.den });
      aligned();
      g = node("relu_bwd", `fc${l}.dz`, [dh, zs[l - 1]!], [B, inp]);
      weightT(l - 1);
    }
  }
  if (lossNode < 0) emitLoss();

  // updates
  const updateOf: number[] = new Array<number>(params.length);
  for (let l = 0; l < L; l++) {
    for (const [p, gradNode] of [
      [W[l]!, gradW[l]!],
      [bvec[l]!, gradB[l]!],
    ] as const) {
      const spec = params[p]!;
      let step = gradNode;
      if (mu > 0) {
        const v = velocityOf[p]!;
        step = node("momentum", `${spec.name}.v.next`, [v, gradNode], [...spec.shape], { mu, param: v });
        updateOf[v] = step;
      }
      updateOf[p] = node("sgd", `${spec.name}.next`, [p, step], [...spec.shape], { lr, param: p });
    }
  }
  const t: GraphTemplate = {
    version: 1,
    kind: "mlp",
    sizes: [...sizes],
    batch: B,
    classes: C,
    inputDim: sizes[0]!,
    params,
    nodes,
    dropout,
    updateOf,
    dataX,
    dataY,
    lossNode,
    logitsNode: logits,
  };
  validateTemplate(t);
  return t;
}

const ARITY: Record<OpName, number> = {
  param: 0,
  data_x: 0,
  data_y: 0,
  linear: 3,
  matmul_nt: 2,
  transpose: 1,
  row_sum: 1,
  relu: 1,
  relu_bwd: 2,
  dropout: 1,
  dropout_bwd: 1,
  softmax: 1,
  xent_loss: 2,
  xent_grad: 2,
  momentum: 2,
  sgd: 2,
};

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Checks wiring (inputs precede their consumer), arity, shapes, and the attributes each op needs.
 * Throws GraphTemplateError naming the node.
 */
export function validateTemplate(t: GraphTemplate): void {
  const shapes: (readonly number[])[] = [];
  t.nodes.forEach((n, i) => {
    const fail = (d: string): never => {
      throw new GraphTemplateError(i, `${n.op} "${n.name}": ${d}`);
    };
    if (n.id !== i) fail(`id ${n.id} is not its position ${i}`);
    if (ARITY[n.op] === undefined) fail(`unknown op`);
    if (n.inputs.length !== ARITY[n.op]) fail(`takes ${ARITY[n.op]} inputs, has ${n.inputs.length}`);
    if (n.shape.length < 1 || n.shape.some((s) => !Number.isInteger(s) || s < 1)) fail(`bad shape [${n.shape.join(", ")}]`);
    for (const src of n.inputs) if (!(Number.isInteger(src) && src >= 0 && src < i)) fail(`input ${src} is not an earlier node`);
    const ins = n.inputs.map((s) => shapes[s]!);
    const out = n.shape;
    switch (n.op) {
      case "param": {
        const p = t.params[n.attrs.param ?? -1];
        if (!p || !sameShape(p.shape, out)) fail(`param ${n.attrs.param} missing or of another shape`);
        break;
      }
      case "data_x":
        if (!sameShape(out, [t.batch, t.inputDim])) fail(`shape must be [batch, inputDim]`);
        break;
      case "data_y":
        if (!sameShape(out, [t.batch])) fail(`shape must be [batch]`);
        break;
      case "linear":
      case "matmul_nt": {
        const [a, b] = ins as [readonly number[], readonly number[]];
        if (a.length !== 2 || b.length !== 2 || a[1] !== b[1]) fail(`operands [${a}] and [${b}] do not share the inner dimension`);
        if (!sameShape(out, [a[0]!, b[0]!])) fail(`output must be [${a[0]}, ${b[0]}]`);
        if (n.op === "linear" && !sameShape(ins[2]!, [b[0]!])) fail(`bias must be [${b[0]}]`);
        break;
      }
      case "transpose": {
        const a = ins[0]!;
        if (a.length !== 2 || !sameShape(out, [a[1]!, a[0]!])) fail(`output must be the transpose of [${a}]`);
        break;
      }
      case "row_sum": {
        const a = ins[0]!;
        if (a.length !== 2 || !sameShape(out, [a[0]!])) fail(`output must be [${a[0]}]`);
        break;
      }
      case "relu":
      case "dropout":
      case "dropout_bwd":
        if (!sameShape(out, ins[0]!)) fail(`output shape must equal the input shape`);
        if (n.op !== "relu") {
          const { layer, num, den } = n.attrs;
          if (!t.dropout.some((d) => d.layer === layer && d.num === num && d.den === den)) fail(`no dropout layer ${layer} with rate ${num}/${den}`);
        }
        break;
      case "relu_bwd":
      case "momentum":
      case "sgd":
        if (!sameShape(out, ins[0]!) || !sameShape(out, ins[1]!)) fail(`both inputs and the output must have one shape`);
        break;
      case "softmax":
        if (ins[0]!.length !== 2 || !sameShape(out, ins[0]!)) fail(`output must have the [B, C] shape of its input`);
        break;
      case "xent_loss":
      case "xent_grad": {
        const [z, y] = ins as [readonly number[], readonly number[]];
        if (z.length !== 2 || !sameShape(y, [z[0]!])) fail(`labels must be [${z[0]}]`);
        if (!sameShape(out, n.op === "xent_loss" ? [z[0]!] : z)) fail(`bad output shape`);
        break;
      }
    }
    shapes.push(out);
  });
  t.params.forEach((p, i) => {
    if (p.id !== i) throw new GraphTemplateError(null, `param ${i} has id ${p.id}`);
    const u = t.updateOf[i];
    if (u === undefined || t.nodes[u] === undefined || !sameShape(t.nodes[u]!.shape, p.shape)) {
      throw new GraphTemplateError(u ?? null, `parameter ${p.name} has no update node of its shape`);
    }
  });
  t.dropout.forEach((d, i) => {
    if (d.ordinal !== i) throw new GraphTemplateError(d.node, `dropout layer ${d.layer} has ordinal ${d.ordinal}, expected ${i}`);
    if (t.nodes[d.node]?.op !== "dropout") throw new GraphTemplateError(d.node, `dropout layer ${d.layer} does not point at a dropout node`);
  });
}

/** Canonical JSON (sorted keys, no whitespace) of a template. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  if (typeof v === "number" && !Number.isFinite(v)) throw new ConfigError("json", `non-finite number ${v}`);
  return JSON.stringify(v);
}

/** SHA-256 of the template's canonical JSON. */
export function templateHash(t: GraphTemplate): Hex {
  return toHex(sha256(utf8(canonicalJson(t))));
}

/** Total float32 elements an iteration produces (sum over nodes). */
export function iterationElements(t: GraphTemplate): number {
  return t.nodes.reduce((s, n) => s + numel(n.shape), 0);
}

/**
 * The SPEC §7 descriptor of every node (opcode, numel, rows, cols, inputs, u32 attributes): shape [R, C] gives
 * rows R, cols C; a vector [N] gives rows N, cols 1. Attributes: param [param id, param count, update node id];
 * dropout / dropout_bwd [layer, num, den]; momentum [bits(mu), param]; sgd [bits(lr), param]; linear, matmul_nt,
 * row_sum, xent_loss [the first input's cols] (K of a dot product, C of the loss: the one dimension the output's shape
 * lacks, so the one-step check needs no second descriptor); other ops none.
 */
export function templateDescriptors(t: GraphTemplate): NodeDescriptor[] {
  const colsOf = (shape: readonly number[]) => (shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1);
  return t.nodes.map((n) => {
    const rows = n.shape[0]!;
    const cols = colsOf(n.shape);
    let attrs: number[] = [];
    switch (n.op) {
      case "param":
        // the PARAM link is checked from the descriptor alone: the state tree has `param count` leaves, and in
        // iteration i > 0 the value is the output of `update node id` in iteration i − 1 (docs/GAME.md, SPEC §7)
        attrs = [n.attrs.param!, t.params.length, t.updateOf[n.attrs.param!]!];
        break;
      case "dropout":
      case "dropout_bwd":
        attrs = [n.attrs.layer!, n.attrs.num!, n.attrs.den!];
        break;
      case "momentum":
        attrs = [bitsOf(n.attrs.mu!), n.attrs.param!];
        break;
      case "sgd":
        attrs = [bitsOf(n.attrs.lr!), n.attrs.param!];
        break;
      case "linear":
      case "matmul_nt":
      case "row_sum":
      case "xent_loss":
        attrs = [colsOf(t.nodes[n.inputs[0]!]!.shape)];
        break;
      default:
        attrs = [];
    }
    return { opcode: Opcode[n.op], numel: rows * cols, rows, cols, inputs: [...n.inputs], attrs };
  });
}

/** The template root (tree kind 0x16 over the node descriptors) that a job stores on-chain. */
export function templateRoot(t: GraphTemplate): Uint8Array {
  return templateTree(templateDescriptors(t)).root;
}
