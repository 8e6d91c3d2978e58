/**
 * What a party knows of one rollup, behind one small interface (op-challenger's `trace/`): the trees the game walks,
 * the leaf preimages and the one-step proofs. `TraceRollupData` serves them from an engine trace directory (the
 * trainer's own, or a challenger's verified copy); a piece whose iteration file is absent answers `null` (the party
 * then cannot make that move and waits for the other side to make it).
 */
import {
  CHUNK_BYTES,
  Kind,
  buildTree,
  chunkByteLength,
  encodeDescriptor,
  encodeJournalEntry,
  fromHex,
  graphTree,
  journalTree,
  tensorBytes,
  tensorTree,
  templateTree,
  toHex,
  type Hex,
  type MerkleTree,
} from "@refereed/core";
import { TraceFormatError, templateDescriptors, type Dataset, type GraphTemplate, type IterationFile, type TraceReader } from "@refereed/engine";
import { ProofBuilder, traceRollupSource, type ChainFields, type StepContext } from "@refereed/adjudication";
import { numel } from "@refereed/engine";

/** The rollup's claim as the chain stores it (RollupSubmitted / openGame / step). */
export interface Claim {
  readonly startState: Hex;
  readonly rollupRoot: Hex;
  readonly endState: Hex;
}

/** A node leaf reveal: the output tensor root and the node's descriptor opened against the template root. */
export interface NodeLeafData {
  readonly tensorRoot: Hex;
  readonly descriptor: Hex;
  readonly templateProof: Hex[];
}

/** What a party knows of one rollup (indices are the rollup's iteration index 0..iterations−1). */
export interface RollupData {
  readonly claim: Claim;
  readonly iterations: number;
  readonly nodeCount: number;
  readonly dropoutLayers: number;
  /** element count of node `node` (from the template) */
  numelOf(node: number): number;
  /** the tree a tree phase walks: rollup tree, graph / journal tree of `iteration`, tensor tree of `node` */
  rollupTree(): MerkleTree;
  graphTree(iteration: number): MerkleTree | null;
  journalTree(iteration: number): MerkleTree | null;
  tensorTree(iteration: number, node: number): MerkleTree | null;
  iterationLeaf(iteration: number): Uint8Array;
  nodeLeaf(iteration: number, node: number): NodeLeafData | null;
  chunk(iteration: number, node: number, chunkIndex: number): Uint8Array | null;
  journalEntry(iteration: number, index: number): Uint8Array | null;
  /** the `proof` argument of `step` at element `element` of node `node` */
  elementProof(iteration: number, node: number, element: number): Hex | null;
  journalProof(iteration: number, index: number): Hex | null;
}

export class RollupDataError extends Error {
  constructor(
    readonly dir: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`trace ${dir}: ${message}`, options);
    this.name = "RollupDataError";
  }
}

export interface TraceRollupDataOptions {
  /** the trace reader (its manifest must hold the rollup that starts at `firstStep`) */
  readonly reader: TraceReader;
  /** the rollup's first step (on-chain: index · rollupSteps) */
  readonly firstStep: number;
  /** the training set (DATA links of the one-step proofs) */
  readonly data: Dataset;
  /** the trainer's 256-byte BLS public key (default: the spec's vrfKey) */
  readonly vrfPublicKey?: Uint8Array;
  /** chain-only fields of the step context (for `stepContext`) */
  readonly chain?: ChainFields;
}

/** Serves a rollup's moves from an engine trace directory. */
export class TraceRollupData implements RollupData {
  readonly claim: Claim;
  readonly iterations: number;
  readonly nodeCount: number;
  readonly dropoutLayers: number;
  readonly template: GraphTemplate;
  private readonly reader: TraceReader;
  private readonly firstStep: number;
  private readonly manifestRollup: number;
  private readonly leaves: Uint8Array[];
  private readonly descriptors: Uint8Array[];
  private readonly tmpl: MerkleTree;
  private rtree: MerkleTree | null = null;
  private readonly files = new Map<number, IterationFile | null>();
  private readonly graphs = new Map<number, MerkleTree>();
  private readonly journals = new Map<number, MerkleTree>();
  private readonly tensors = new Map<string, MerkleTree>();
  private builder: ProofBuilder | null = null;

  constructor(readonly opts: TraceRollupDataOptions) {
    const { reader, firstStep } = opts;
    this.reader = reader;
    this.firstStep = firstStep;
    const m = reader.manifest;
    const k = m.rollups.findIndex((r) => r.firstStep === firstStep);
    if (k < 0) throw new RollupDataError(reader.dir, `no rollup starting at step ${firstStep} (rollups start at ${m.rollups.map((r) => r.firstStep).join(", ") || "none"})`);
    this.manifestRollup = k;
    const ru = m.rollups[k]!;
    this.iterations = ru.count;
    this.template = reader.template;
    this.nodeCount = this.template.nodes.length;
    this.dropoutLayers = this.template.dropout.length;
    this.leaves = [];
    for (let i = 0; i < ru.count; i++) {
      const it = m.iterations[firstStep + i - m.firstStep];
      if (!it || it.step !== firstStep + i) throw new RollupDataError(reader.dir, `manifest lacks iteration ${firstStep + i}`);
      this.leaves.push(fromHex(it.leaf, 72, `leaf of step ${it.step}`));
    }
    this.claim = { startState: ru.startStateRoot, rollupRoot: toHex(this.rollupTree().root), endState: ru.endStateRoot };
    const descs = templateDescriptors(this.template);
    this.descriptors = descs.map(encodeDescriptor);
    this.tmpl = templateTree(descs);
  }

  numelOf(node: number): number {
    const n = this.template.nodes[node];
    if (!n) throw new RollupDataError(this.reader.dir, `no node ${node} (the template has ${this.nodeCount})`);
    return numel(n.shape);
  }

  rollupTree(): MerkleTree {
    this.rtree ??= buildTree(Kind.Rollup, this.leaves);
    return this.rtree;
  }

  /** The iteration file of iteration `i`, or null if it is not on disk (a challenger's partial copy). */
  file(i: number): IterationFile | null {
    if (!Number.isInteger(i) || i < 0 || i >= this.iterations) throw new RollupDataError(this.reader.dir, `iteration ${i} outside the rollup's ${this.iterations}`);
    if (this.files.has(i)) return this.files.get(i)!;
    let f: IterationFile | null;
    try {
      f = this.reader.readIteration(this.firstStep + i);
    } catch (err) {
      if (err instanceof TraceFormatError && /missing/.test(err.message)) f = null;
      else throw err;
    }
    if (f) this.files.set(i, f);
    return f;
  }

  graphTree(i: number): MerkleTree | null {
    const hit = this.graphs.get(i);
    if (hit) return hit;
    const f = this.file(i);
    if (!f) return null;
    const t = graphTree(f.nodeRoots);
    this.graphs.set(i, t);
    return t;
  }

  journalTree(i: number): MerkleTree | null {
    if (this.dropoutLayers === 0) return null;
    const hit = this.journals.get(i);
    if (hit) return hit;
    const f = this.file(i);
    if (!f) return null;
    const t = journalTree(f.journal);
    this.journals.set(i, t);
    return t;
  }

  tensorTree(i: number, node: number): MerkleTree | null {
    const key = `${i}:${node}`;
    const hit = this.tensors.get(key);
    if (hit) return hit;
    const f = this.file(i);
    if (!f) return null;
    const t = tensorTree(f.outputs[node]!);
    this.tensors.set(key, t);
    return t;
  }

  iterationLeaf(i: number): Uint8Array {
    const l = this.leaves[i];
    if (!l) throw new RollupDataError(this.reader.dir, `iteration ${i} outside the rollup's ${this.iterations}`);
    return l;
  }

  nodeLeaf(i: number, node: number): NodeLeafData | null {
    const f = this.file(i);
    if (!f) return null;
    return {
      tensorRoot: toHex(f.nodeRoots[node]!),
      descriptor: toHex(this.descriptors[node]!),
      templateProof: this.tmpl.proof(node).siblings.map(toHex),
    };
  }

  chunk(i: number, node: number, c: number): Uint8Array | null {
    const f = this.file(i);
    if (!f) return null;
    const t = f.outputs[node]!;
    return tensorBytes(t).slice(c * CHUNK_BYTES, c * CHUNK_BYTES + chunkByteLength(t.length, c));
  }

  journalEntry(i: number, index: number): Uint8Array | null {
    const f = this.file(i);
    if (!f) return null;
    const e = f.journal[index];
    if (!e) throw new RollupDataError(this.reader.dir, `iteration ${i} has no journal entry ${index}`);
    return encodeJournalEntry(e);
  }

  /** The proof builder (reads the rollup's first and last iterations for the state leaves). */
  proofBuilder(): ProofBuilder {
    this.builder ??= new ProofBuilder(traceRollupSource(this.reader, this.manifestRollup, this.opts.data, this.opts.vrfPublicKey), this.opts.chain ?? {});
    return this.builder;
  }

  elementProof(i: number, node: number, element: number): Hex | null {
    if (!this.file(i)) return null;
    return this.proofBuilder().elementProof({ step: this.firstStep + i, node, element });
  }

  journalProof(i: number, index: number): Hex | null {
    if (!this.file(i)) return null;
    return this.proofBuilder().journalProof(this.firstStep + i, index);
  }

  /** The step context the game would establish at element (i, node, element) (for an eth_call of the verifier). */
  elementContext(i: number, node: number, element: number): StepContext {
    return this.proofBuilder().elementContext({ step: this.firstStep + i, node, element });
  }

  journalContext(i: number, index: number): StepContext {
    return this.proofBuilder().journalContext(this.firstStep + i, index);
  }
}
