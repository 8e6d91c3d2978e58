/**
 * One-step proofs for `contracts/OneStepVerifier.sol`: for any (iteration, node, element) of a rollup, or any
 * journal entry, the `StepContext` the game establishes and the `proof` bytes the verifier decodes.
 *
 * The layouts mirror the Solidity structs one for one (`ElementProof`, `TensorOpening`, `TemplateLeaf`,
 * `StateLeaf`, `PrevLink`, `DatasetOpening`, `SeedOpening`, `JournalProof`); the element ranges each
 * rule reads are derived from the template descriptors exactly as the contract derives them, so the openings
 * always fit. The builder proves whatever the source holds: for an honest trace the verifier answers true, for a
 * cheating one it answers false at the element the audit names.
 *
 * A `RollupSource` is what the builder reads: the job, the training set (DATA links), the iterations of one rollup
 * (node outputs and journal), the start and end state leaves, and the trainer's VRF public key. `traceRollupSource`
 * makes one from an engine `TraceReader`; tests make in-memory sources (e.g. with a tampered journal entry).
 */
import {
  Kind,
  Opcode,
  buildTree,
  bitsOf,
  descriptorHash as descriptorHashBytes,
  encodeDescriptor,
  encodeIterationLeaf,
  encodeJournalEntry,
  fromHex,
  openRange,
  tensorTree,
  templateTree,
  toHex,
  EMPTY_JOURNAL_ROOT,
  type Hex,
  type JournalEntry,
  type MerkleTree,
  type NodeDescriptor,
} from "@refereed/core";
import {
  batchExamples,
  datasetLeaf,
  stepPosition,
  templateDescriptors,
  type Dataset,
  type GraphTemplate,
  type Job,
  type TraceReader,
} from "@refereed/engine";
import { encodeAbiParameters, keccak256, type AbiParameter } from "viem";

// ─────────────────────────────────────────── errors ───────────────────────────────────────────────────────────────

/** A request the builder cannot serve (an element outside the tensor, a step outside the rollup, ...). */
export class ProofBuilderError extends Error {
  constructor(
    readonly what: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`one-step proof (${what}): ${detail}`, options);
    this.name = "ProofBuilderError";
  }
}

// ─────────────────────────────────────────── the source ───────────────────────────────────────────────────────────

/** What the builder needs of one iteration. `nodeRoots` are computed from `outputs` when absent. */
export interface IterationSource {
  readonly outputs: readonly Float32Array[];
  readonly journal: readonly JournalEntry[];
  readonly nodeRoots?: readonly Uint8Array[];
}

/** One rollup as the builder sees it. */
export interface RollupSource {
  readonly job: Job;
  /** the training set whose root is the job's dataset root (DATA links) */
  readonly data: Dataset;
  /** the rollup's first step and its iteration count */
  readonly firstStep: number;
  readonly count: number;
  iteration(step: number): IterationSource;
  /** the leaves of ctx.startState / ctx.endState: one tensor root per parameter */
  readonly startStateLeaves: readonly Uint8Array[];
  readonly endStateLeaves: readonly Uint8Array[];
  /** the trainer's 256-byte BLS public key (its keccak256 is ctx.trainerKeyHash) */
  readonly vrfPublicKey: Uint8Array;
}

/**
 * A source over rollup `rollupIndex` of an engine trace. The state leaves are the param nodes' roots of the rollup's
 * first iteration and the update nodes' roots of its last (the trace's startStateRoot / endStateRoot).
 */
export function traceRollupSource(reader: TraceReader, rollupIndex: number, data: Dataset, vrfPublicKey?: Uint8Array): RollupSource {
  const ru = reader.manifest.rollups[rollupIndex];
  if (!ru) throw new ProofBuilderError("source", `the trace has no rollup ${rollupIndex} (${reader.manifest.rollups.length} rollups)`);
  const t = reader.template;
  const cache = new Map<number, IterationSource>();
  const iteration = (step: number): IterationSource => {
    let it = cache.get(step);
    if (!it) {
      it = reader.readIteration(step);
      cache.set(step, it);
    }
    return it;
  };
  const first = reader.readIteration(ru.firstStep);
  const last = reader.readIteration(ru.firstStep + ru.count - 1);
  const pk = vrfPublicKey ?? fromHex(reader.job.spec.vrfKey);
  return {
    job: reader.job,
    data,
    firstStep: ru.firstStep,
    count: ru.count,
    iteration,
    startStateLeaves: t.params.map((p) => first.nodeRoots[p.id]!),
    endStateLeaves: t.updateOf.map((u) => last.nodeRoots[u]!),
    vrfPublicKey: pk,
  };
}

// ─────────────────────────────────────────── the context ──────────────────────────────────────────────────────────

/** IOneStepVerifier's StepContext, as viem encodes it. */
export interface StepContext {
  jobId: bigint;
  specHash: Hex;
  templateRoot: Hex;
  datasetRoot: Hex;
  datasetSize: bigint;
  nodeCount: number;
  dropoutLayers: number;
  toleranceProfile: number;
  nonce: Hex;
  trainerKeyHash: Hex;
  rollupId: bigint;
  rollupIndex: bigint;
  startState: Hex;
  rollupRoot: Hex;
  endState: Hex;
  firstStep: bigint;
  iterations: bigint;
  iteration: bigint;
  step: bigint;
  graphRoot: Hex;
  journalRoot: Hex;
  nodeId: number;
  descriptorHash: Hex;
  tensorRoot: Hex;
  numel: bigint;
  element: bigint;
  elementBits: number;
  journalIndex: number;
  journalEntry: Hex;
}

/** Fields of the context that live on the chain only (defaults: 0 and profile 0). */
export interface ChainFields {
  readonly jobId?: bigint;
  readonly rollupId?: bigint;
  readonly rollupIndex?: bigint;
  readonly toleranceProfile?: number;
}

// ─────────────────────────────────────────── proof parts (mirrors of the Solidity structs) ────────────────────────

export interface TensorOpening {
  tensorRoot: Hex;
  graphProof: Hex[];
  chunks: Hex[];
  chunkProof: Hex[];
}

export interface TemplateLeaf {
  nodeId: number;
  descriptor: Hex;
  proof: Hex[];
}

export interface StateLeaf {
  paramRoot: Hex;
  proof: Hex[];
}

export interface PrevLink {
  update: TemplateLeaf;
  iterationLeaf: Hex;
  rollupProof: Hex[];
  updateRoot: Hex;
  graphProof: Hex[];
}

export interface DatasetOpening {
  example: Hex;
  proof: Hex[];
}

export interface SeedOpening {
  dataX: TemplateLeaf;
  publicKey: Hex;
}

/** The link of an element proof, by kind (see ElementProof in OneStepVerifier.sol). */
export type Link =
  | { kind: "none" }
  | { kind: "startState"; leaf: StateLeaf }
  | { kind: "endState"; paramNode: TemplateLeaf; leaf: StateLeaf }
  | { kind: "previous"; prev: PrevLink }
  | { kind: "dataset"; example: DatasetOpening }
  | { kind: "seed"; seed: SeedOpening; entry: Hex; journalProof: Hex[] };

export interface ElementProofParts {
  descriptor: Hex;
  inputs: TensorOpening[];
  link: Link;
}

export interface JournalProofParts {
  dropout: TemplateLeaf;
  seed: SeedOpening;
}

const templateLeafAbi = {
  type: "tuple",
  components: [
    { name: "nodeId", type: "uint32" },
    { name: "descriptor", type: "bytes" },
    { name: "proof", type: "bytes32[]" },
  ],
} as const;
const tensorOpeningAbi = {
  type: "tuple[]",
  components: [
    { name: "tensorRoot", type: "bytes32" },
    { name: "graphProof", type: "bytes32[]" },
    { name: "chunks", type: "bytes[]" },
    { name: "chunkProof", type: "bytes32[]" },
  ],
} as const;
const stateLeafAbi = { type: "tuple", components: [{ name: "paramRoot", type: "bytes32" }, { name: "proof", type: "bytes32[]" }] } as const;
const prevLinkAbi = {
  type: "tuple",
  components: [
    { name: "update", ...templateLeafAbi },
    { name: "iterationLeaf", type: "bytes" },
    { name: "rollupProof", type: "bytes32[]" },
    { name: "updateRoot", type: "bytes32" },
    { name: "graphProof", type: "bytes32[]" },
  ],
} as const;
const datasetOpeningAbi = { type: "tuple", components: [{ name: "example", type: "bytes" }, { name: "proof", type: "bytes32[]" }] } as const;
const seedOpeningAbi = { type: "tuple", components: [{ name: "dataX", ...templateLeafAbi }, { name: "publicKey", type: "bytes" }] } as const;
const elementProofAbi = [
  {
    type: "tuple",
    components: [
      { name: "descriptor", type: "bytes" },
      { name: "inputs", ...tensorOpeningAbi },
      { name: "link", type: "bytes" },
    ],
  },
] as const;
const journalProofAbi = [{ type: "tuple", components: [{ name: "dropout", ...templateLeafAbi }, { name: "seed", ...seedOpeningAbi }] }] as const;

/** abi.encode of a link, by kind (empty bytes for "none"). */
export function encodeLink(l: Link): Hex {
  switch (l.kind) {
    case "none":
      return "0x";
    case "startState":
      return encodeAbiParameters([stateLeafAbi] as readonly AbiParameter[], [l.leaf]);
    case "endState":
      return encodeAbiParameters([templateLeafAbi, stateLeafAbi] as readonly AbiParameter[], [l.paramNode, l.leaf]);
    case "previous":
      return encodeAbiParameters([prevLinkAbi] as readonly AbiParameter[], [l.prev]);
    case "dataset":
      return encodeAbiParameters([datasetOpeningAbi] as readonly AbiParameter[], [l.example]);
    case "seed":
      return encodeAbiParameters([seedOpeningAbi, { type: "bytes" }, { type: "bytes32[]" }] as readonly AbiParameter[], [l.seed, l.entry, l.journalProof]);
  }
}

/** abi.encode(ElementProof). */
export function encodeElementProof(p: ElementProofParts): Hex {
  return encodeAbiParameters(elementProofAbi, [
    { descriptor: p.descriptor, inputs: p.inputs, link: encodeLink(p.link) },
  ]);
}

/** abi.encode(JournalProof). */
export function encodeJournalProof(p: JournalProofParts): Hex {
  return encodeAbiParameters(journalProofAbi, [p]);
}

// ─────────────────────────────────────────── the builder ──────────────────────────────────────────────────────────

const hex = (b: Uint8Array): Hex => toHex(b);
const ZERO_WORD: Hex = `0x${"00".repeat(32)}`;
const hexes = (bs: readonly Uint8Array[]): Hex[] => bs.map(hex);

interface IterationTrees {
  readonly it: IterationSource;
  readonly nodeRoots: readonly Uint8Array[];
  readonly graph: MerkleTree;
  readonly journal: MerkleTree | null;
  readonly journalRoot: Uint8Array;
  readonly leaf: Uint8Array;
  readonly tensors: Map<number, MerkleTree>;
}

/** An element's place in one iteration of the rollup. */
export interface ElementRef {
  readonly step: number;
  readonly node: number;
  readonly element: number;
}

/** Builds StepContexts and proofs for one rollup of a source. Trees are built once and cached. */
export class ProofBuilder {
  readonly template: GraphTemplate;
  readonly descriptors: readonly NodeDescriptor[];
  private readonly templateTree: MerkleTree;
  private readonly iters = new Map<number, IterationTrees>();
  private rollupTree: MerkleTree | null = null;
  private datasetTree: MerkleTree | null = null;
  private readonly startTree: MerkleTree;
  private readonly endTree: MerkleTree;

  constructor(
    readonly src: RollupSource,
    readonly chain: ChainFields = {},
  ) {
    this.template = src.job.template;
    this.descriptors = templateDescriptors(this.template);
    this.templateTree = templateTree(this.descriptors);
    if (hex(this.templateTree.root) !== src.job.spec.templateRoot) {
      throw new ProofBuilderError("template", `the template builds root ${hex(this.templateTree.root)}, the job says ${src.job.spec.templateRoot}`);
    }
    if (src.count < 1) throw new ProofBuilderError("source", `a rollup needs at least one iteration, got ${src.count}`);
    if (src.vrfPublicKey.length !== 256 && this.template.dropout.length > 0) {
      throw new ProofBuilderError("vrfPublicKey", `must be the 256-byte EIP-2537 G2 key, got ${src.vrfPublicKey.length} bytes`);
    }
    this.startTree = buildTree(Kind.State, src.startStateLeaves);
    this.endTree = buildTree(Kind.State, src.endStateLeaves);
  }

  /** The rollup's claim: (startState, rollupRoot, endState). */
  claim(): { startState: Hex; rollupRoot: Hex; endState: Hex } {
    return { startState: hex(this.startTree.root), rollupRoot: hex(this.rollup().root), endState: hex(this.endTree.root) };
  }

  /** The context of element `element` of node `node` in step `step`, as the game establishes it. */
  elementContext(ref: ElementRef): StepContext {
    const { step, node, element } = ref;
    const tr = this.trees(step);
    const out = this.output(tr, node);
    if (!Number.isInteger(element) || element < 0 || element >= out.length) {
      throw new ProofBuilderError("element", `element ${element} outside node ${node}'s ${out.length} elements`);
    }
    return {
      ...this.baseContext(step),
      graphRoot: hex(tr.graph.root),
      journalRoot: hex(tr.journalRoot),
      nodeId: node,
      descriptorHash: hex(descriptorHashBytes(encodeDescriptor(this.desc(node)))),
      tensorRoot: hex(tr.nodeRoots[node]!),
      numel: BigInt(out.length),
      element: BigInt(element),
      elementBits: bitsOf(out[element]!),
    };
  }

  /** The context of journal entry `index` of step `step`. */
  journalContext(step: number, index: number): StepContext {
    const tr = this.trees(step);
    const e = tr.it.journal[index];
    if (!e) throw new ProofBuilderError("journal", `step ${step} has no journal entry ${index} (${tr.it.journal.length} entries)`);
    return { ...this.baseContext(step), journalIndex: index, journalEntry: hex(encodeJournalEntry(e)) };
  }

  /** The proof parts of an element (encode with encodeElementProof; tests tamper with the parts first). */
  elementProofParts(ref: ElementRef): ElementProofParts {
    const { step, node, element } = ref;
    const tr = this.trees(step);
    const d = this.desc(node);
    const name = opName(d.opcode);
    const e = element;
    const single = (k: number, at: number): [number, number, number] => [d.inputs[k]!, at, at + 1];
    let ranges: [number, number, number][] = [];
    let link: Link = { kind: "none" };
    switch (name) {
      case "param":
        link = this.paramLink(step, d);
        break;
      case "data_x":
      case "data_y":
        link = this.dataLink(step, d, e);
        break;
      case "linear":
      case "matmul_nt":
      case "row_sum": {
        const k = d.attrs[0]!; // the first input's cols (SPEC §7)
        const m = Math.floor(e / d.cols);
        const j = e % d.cols;
        ranges.push([d.inputs[0]!, m * k, (m + 1) * k]);
        if (name !== "row_sum") ranges.push([d.inputs[1]!, j * k, (j + 1) * k]);
        if (name === "linear") ranges.push(single(2, j));
        break;
      }
      case "transpose": {
        const a = this.desc(d.inputs[0]!);
        const i = Math.floor(e / d.cols);
        const j = e % d.cols;
        ranges.push(single(0, j * a.cols + i));
        break;
      }
      case "relu":
      case "relu_bwd":
        ranges = d.inputs.map((_, k) => single(k, e));
        break;
      case "momentum":
      case "sgd":
        ranges = d.inputs.map((_, k) => single(k, e));
        if (step === this.src.firstStep + this.src.count - 1) link = this.endStateLink(node, d.attrs[1]!);
        break;
      case "dropout":
      case "dropout_bwd":
        ranges.push(single(0, e));
        link = this.seedLink(tr, d.attrs[0]!);
        break;
      case "softmax": {
        const c = d.cols;
        const i = Math.floor(e / c);
        ranges.push([d.inputs[0]!, i * c, (i + 1) * c]);
        break;
      }
      case "xent_loss": {
        const c = d.attrs[0]!; // z's cols (SPEC §7)
        ranges.push([d.inputs[0]!, e * c, (e + 1) * c], single(1, e));
        break;
      }
      case "xent_grad":
        ranges.push(single(0, e), single(1, Math.floor(e / d.cols)));
        break;
    }
    // A dot product's second operand (matmul_nt: the engine places both at ids 2i, 2i + 1) and a linear's bias (b = w ^ 1)
    // at the sibling leaf of the input before: that input's graph proof authenticates them (no proof of their own).
    const inputs: TensorOpening[] = [];
    ranges.forEach(([id, start, end], k) => {
      const o = this.tensorOpening(tr, id, start, end);
      const prev = inputs[k - 1];
      const sibling = (name === "linear" || name === "matmul_nt") && k >= 1 && id === (d.inputs[k - 1]! ^ 1) && prev !== undefined && prev.graphProof.length > 0;
      inputs.push(sibling ? { ...o, graphProof: [] } : o);
    });
    return { descriptor: hex(encodeDescriptor(d)), inputs, link };
  }

  /** abi.encode(ElementProof) of an element. */
  elementProof(ref: ElementRef): Hex {
    return encodeElementProof(this.elementProofParts(ref));
  }

  /** The proof parts of journal entry `index` (the forward dropout node of layer index + 1, rule T4). */
  journalProofParts(step: number, index: number): JournalProofParts {
    const tr = this.trees(step);
    const layer = this.template.dropout[index];
    if (!layer) throw new ProofBuilderError("journal", `the template has no dropout ordinal ${index}`);
    return { dropout: this.templateLeaf(layer.node), seed: this.seedOpening(tr) };
  }

  /** abi.encode(JournalProof) of a journal entry. */
  journalProof(step: number, index: number): Hex {
    return encodeJournalProof(this.journalProofParts(step, index));
  }

  // ─────────────────────────────────────────── links ──────────────────────────────────────────────────────────────

  /** PARAM attrs [param id, param count, update node] (SPEC §7). */
  private paramLink(step: number, d: NodeDescriptor): Link {
    const [paramId, , u] = d.attrs as [number, number, number];
    if (step === this.src.firstStep) return { kind: "startState", leaf: this.stateLeaf(this.startTree, this.src.startStateLeaves, paramId) };
    const prev = this.trees(step - 1);
    return {
      kind: "previous",
      prev: {
        update: this.templateLeaf(u),
        iterationLeaf: hex(prev.leaf),
        rollupProof: hexes(this.rollup().proof(step - 1 - this.src.firstStep).siblings),
        updateRoot: hex(prev.nodeRoots[u]!),
        graphProof: hexes(prev.graph.proof(u).siblings),
      },
    };
  }

  /** END-STATE: the PARAM node that names `updateNode` as its update, and the end state's leaf. */
  private endStateLink(updateNode: number, paramId: number): Link {
    const pn = this.descriptors.findIndex((x) => x.opcode === Opcode.param && x.attrs[0] === paramId && x.attrs[2] === updateNode);
    if (pn < 0) throw new ProofBuilderError("end state", `no PARAM node names node ${updateNode} as the update of parameter ${paramId}`);
    return { kind: "endState", paramNode: this.templateLeaf(pn), leaf: this.stateLeaf(this.endTree, this.src.endStateLeaves, paramId) };
  }

  private stateLeaf(tree: MerkleTree, leaves: readonly Uint8Array[], paramId: number): StateLeaf {
    const leaf = leaves[paramId];
    if (!leaf) throw new ProofBuilderError("state", `the state has no parameter ${paramId} (${leaves.length} leaves)`);
    return { paramRoot: hex(leaf), proof: hexes(tree.proof(paramId).siblings) };
  }

  private dataLink(step: number, d: NodeDescriptor, element: number): Link {
    const { job, data } = this.src;
    const row = d.opcode === Opcode.data_x ? Math.floor(element / d.cols) : element;
    const id = batchExamples({ nonce: job.nonce, n: job.spec.trainExamples, batch: d.rows }, step)[row];
    if (id === undefined) throw new ProofBuilderError("data", `row ${row} outside the batch of ${d.rows}`);
    return { kind: "dataset", example: { example: hex(datasetLeaf(data, id)), proof: hexes(this.dataset().proof(id).siblings) } };
  }

  private seedLink(tr: IterationTrees, layer: number): Link {
    const ordinal = layer - 1;
    const entry = tr.it.journal[ordinal];
    if (!entry || !tr.journal) throw new ProofBuilderError("dropout", `no journal entry for layer ${layer}`);
    return { kind: "seed", seed: this.seedOpening(tr), entry: hex(encodeJournalEntry(entry)), journalProof: hexes(tr.journal.proof(ordinal).siblings) };
  }

  private seedOpening(_tr: IterationTrees): SeedOpening {
    return { dataX: this.templateLeaf(this.template.dataX), publicKey: hex(this.src.vrfPublicKey) };
  }

  // ─────────────────────────────────────────── pieces ─────────────────────────────────────────────────────────────

  private baseContext(step: number): StepContext {
    const { job } = this.src;
    const tr = this.trees(step);
    const iteration = step - this.src.firstStep;
    return {
      jobId: this.chain.jobId ?? 0n,
      specHash: hex(job.modelId),
      templateRoot: job.spec.templateRoot,
      datasetRoot: job.spec.datasetRoot,
      datasetSize: BigInt(job.spec.trainExamples),
      nodeCount: this.template.nodes.length,
      dropoutLayers: this.template.dropout.length,
      toleranceProfile: this.chain.toleranceProfile ?? 0,
      nonce: hex(job.nonce),
      trainerKeyHash: keccak256(this.src.vrfPublicKey),
      rollupId: this.chain.rollupId ?? 0n,
      rollupIndex: this.chain.rollupIndex ?? 0n,
      startState: hex(this.startTree.root),
      rollupRoot: hex(this.rollup().root),
      endState: hex(this.endTree.root),
      firstStep: BigInt(this.src.firstStep),
      iterations: BigInt(this.src.count),
      iteration: BigInt(iteration),
      step: BigInt(step),
      graphRoot: ZERO_WORD, // element steps only (the game sets them there)
      journalRoot: ZERO_WORD,
      nodeId: 0,
      descriptorHash: `0x${"00".repeat(16)}`,
      tensorRoot: ZERO_WORD,
      numel: 0n,
      element: 0n,
      elementBits: 0,
      journalIndex: 0,
      journalEntry: "0x",
    };
  }

  private tensorOpening(tr: IterationTrees, node: number, start: number, end: number): TensorOpening {
    const out = this.output(tr, node);
    const o = openRange(out, this.tensor(tr, node), start, end);
    return {
      tensorRoot: hex(tr.nodeRoots[node]!),
      graphProof: hexes(tr.graph.proof(node).siblings),
      chunks: hexes(o.chunks),
      chunkProof: hexes(o.siblings),
    };
  }

  private templateLeaf(node: number): TemplateLeaf {
    return { nodeId: node, descriptor: hex(encodeDescriptor(this.desc(node))), proof: hexes(this.templateTree.proof(node).siblings) };
  }

  private desc(node: number): NodeDescriptor {
    const d = this.descriptors[node];
    if (!d) throw new ProofBuilderError("node", `node ${node} outside the template's ${this.descriptors.length} nodes`);
    return d;
  }

  private output(tr: IterationTrees, node: number): Float32Array {
    const out = tr.it.outputs[node];
    if (!out) throw new ProofBuilderError("node", `node ${node} has no output in the iteration`);
    return out;
  }

  private tensor(tr: IterationTrees, node: number): MerkleTree {
    let t = tr.tensors.get(node);
    if (!t) {
      t = tensorTree(this.output(tr, node));
      tr.tensors.set(node, t);
    }
    return t;
  }

  private trees(step: number): IterationTrees {
    const { firstStep, count } = this.src;
    if (!Number.isInteger(step) || step < firstStep || step >= firstStep + count) {
      throw new ProofBuilderError("step", `step ${step} is not in the rollup (${firstStep}..${firstStep + count - 1})`);
    }
    let tr = this.iters.get(step);
    if (tr) return tr;
    const it = this.src.iteration(step);
    const tensors = new Map<number, MerkleTree>();
    const nodeRoots =
      it.nodeRoots ??
      it.outputs.map((o, i) => {
        const t = tensorTree(o);
        tensors.set(i, t);
        return t.root;
      });
    const graph = buildTree(Kind.Graph, nodeRoots);
    const journal = it.journal.length > 0 ? buildTree(Kind.Journal, it.journal.map(encodeJournalEntry)) : null;
    const journalRoot = journal ? journal.root : EMPTY_JOURNAL_ROOT;
    const leaf = encodeIterationLeaf({ step: BigInt(step), graphRoot: graph.root, journalRoot });
    tr = { it, nodeRoots, graph, journal, journalRoot, leaf, tensors };
    this.iters.set(step, tr);
    return tr;
  }

  private rollup(): MerkleTree {
    if (!this.rollupTree) {
      const leaves: Uint8Array[] = [];
      for (let s = this.src.firstStep; s < this.src.firstStep + this.src.count; s++) leaves.push(this.trees(s).leaf);
      this.rollupTree = buildTree(Kind.Rollup, leaves);
    }
    return this.rollupTree;
  }

  private dataset(): MerkleTree {
    if (!this.datasetTree) {
      const d = this.src.data;
      const leaves: Uint8Array[] = [];
      for (let i = 0; i < d.n; i++) leaves.push(datasetLeaf(d, i));
      this.datasetTree = buildTree(Kind.Dataset, leaves);
      if (hex(this.datasetTree.root) !== this.src.job.spec.datasetRoot) {
        throw new ProofBuilderError("dataset", `the data hashes to ${hex(this.datasetTree.root)}, the job's dataset root is ${this.src.job.spec.datasetRoot}`);
      }
    }
    return this.datasetTree;
  }
}

/** The op name of an opcode. */
export function opName(opcode: number): keyof typeof Opcode {
  const name = (Object.keys(Opcode) as (keyof typeof Opcode)[]).find((k) => Opcode[k] === opcode);
  if (!name) throw new ProofBuilderError("opcode", `unknown opcode ${opcode}`);
  return name;
}

/** The batch id of a step (the VRF context's), for callers that label results. */
export function batchIdOf(job: Job, step: number): number {
  return stepPosition({ nonce: job.nonce, n: job.spec.trainExamples, batch: job.template.batch }, step).batchId;
}
