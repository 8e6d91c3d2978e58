/**
 * Per-iteration commitments (docs/SPEC.md §3):
 *   node leaf j      = tensorRoot(output of node j)
 *   graph root       = root(kind 0x11) over the node leaves
 *   journal entry k  = u32be(layerId) || x || pi || y || maskHash || qHash || u32be(n)   (dropout ordinal k)
 *   journal root     = root(kind 0x12) over the entries
 *   iteration leaf   = u64be(step) || graphRoot || journalRoot
 * and the roots over ranges: rollup root (kind 0x13) over iteration leaves, state root (kind 0x15) over the
 * parameter tensor roots, dataset root (kind 0x14) over examples u32be(label) || f32le(pixels).
 */
import {
  EMPTY_JOURNAL_ROOT,
  Kind,
  concat,
  encodeIterationLeaf,
  encodeJournalEntry,
  u32be,
  type JournalEntry,
} from "@refereed/core";
import type { Dataset } from "./dataset.js";
import { EngineError } from "./errors.js";
import { FastHasher, sharedHasher } from "./fasthash.js";
import type { GraphTemplate } from "./graph.js";
import type { DropoutSeed } from "./seeds.js";
import { journalHashes } from "./vdo.js";

export interface IterationCommitment {
  readonly step: number;
  /** tensor root of every node, by node id */
  readonly nodeRoots: Uint8Array[];
  readonly graphRoot: Uint8Array;
  readonly journal: JournalEntry[];
  readonly journalRoot: Uint8Array;
  /** the 72-byte iteration leaf */
  readonly leaf: Uint8Array;
}

export interface IterationData {
  readonly step: number;
  /** node outputs by node id */
  readonly outputs: readonly Float32Array[];
  /** per dropout layer (journal ordinal order) */
  readonly seeds: readonly DropoutSeed[];
  readonly masks: readonly Uint8Array[];
  /**
   * `IterationRecord.replayable` (default true). False when a hook may have changed an output, a parameter node
   * included: its root is then hashed from its bytes, never taken from the previous update.
   */
  readonly replayable?: boolean;
}

/**
 * Computes iteration commitments. When `reuseParamRoots` is on, the previous step was committed by this object
 * and no hook ran (`IterationData.replayable`), the root of parameter node p is taken from the previous
 * iteration's update node of p (they hold the same bytes: the trainer copies the update outputs into the next
 * state); the trace verifier always recomputes every root.
 */
export class IterationCommitter {
  private readonly hasher = new FastHasher();
  private prevStep = -1;
  private prevUpdateRoots: Uint8Array[] | null = null;
  private qScratch: Int32Array[];

  constructor(
    readonly template: GraphTemplate,
    readonly opts: { reuseParamRoots?: boolean } = {},
  ) {
    this.qScratch = template.dropout.map((d) => new Int32Array(template.nodes[d.node]!.shape.reduce((a, b) => a * b, 1)));
  }

  commit(it: IterationData): IterationCommitment {
    const t = this.template;
    if (it.outputs.length !== t.nodes.length) throw new EngineError(`iteration ${it.step}: ${it.outputs.length} node outputs for ${t.nodes.length} nodes`);
    const reuse = this.opts.reuseParamRoots !== false && it.replayable !== false && this.prevUpdateRoots !== null && it.step === this.prevStep + 1;
    const nodeRoots: Uint8Array[] = new Array(t.nodes.length);
    for (const n of t.nodes) {
      nodeRoots[n.id] = reuse && n.op === "param" ? this.prevUpdateRoots![n.attrs.param!]! : this.hasher.tensorRoot(it.outputs[n.id]!);
    }
    const graphRoot = this.hasher.rootOfLeaves(Kind.Graph, nodeRoots);
    const journal = t.dropout.map((d, k) => {
      const seed = it.seeds[k]!;
      const x = it.outputs[t.nodes[d.node]!.inputs[0]!]!;
      const { maskHash, qHash } = journalHashes(x, it.masks[k]!, { num: d.num, den: d.den }, this.qScratch[k]);
      return { layerId: d.layer, x: seed.x, pi: seed.pi, y: seed.y, maskHash, qHash, n: x.length } satisfies JournalEntry;
    });
    const journalRoot = journalRootOf(this.hasher, journal);
    const leaf = encodeIterationLeaf({ step: BigInt(it.step), graphRoot, journalRoot });
    this.prevStep = it.step;
    this.prevUpdateRoots = t.updateOf.map((u) => nodeRoots[u]!);
    return { step: it.step, nodeRoots, graphRoot, journal, journalRoot, leaf };
  }
}

/** A journal with no entries has core's EMPTY_JOURNAL_ROOT (all zeros). */
export function journalRootOf(h: FastHasher, journal: readonly JournalEntry[]): Uint8Array {
  return journal.length === 0 ? EMPTY_JOURNAL_ROOT.slice() : h.rootOfLeaves(Kind.Journal, journal.map(encodeJournalEntry));
}

export function graphRootOf(h: FastHasher, nodeRoots: readonly Uint8Array[]): Uint8Array {
  return h.rootOfLeaves(Kind.Graph, nodeRoots);
}

/** Rollup root over consecutive iteration leaves. */
export function rollupRoot(leaves: readonly Uint8Array[], h = sharedHasher()): Uint8Array {
  for (let i = 1; i < leaves.length; i++) {
    const a = new DataView(leaves[i - 1]!.buffer, leaves[i - 1]!.byteOffset, 8).getBigUint64(0, false);
    const b = new DataView(leaves[i]!.buffer, leaves[i]!.byteOffset, 8).getBigUint64(0, false);
    if (b !== a + 1n) throw new EngineError(`rollup iterations must be consecutive steps: ${a} then ${b}`);
  }
  return h.rootOfLeaves(Kind.Rollup, leaves);
}

/** State root over parameter tensor roots (index = parameter id). */
export function stateRoot(paramRoots: readonly Uint8Array[], h = sharedHasher()): Uint8Array {
  return h.rootOfLeaves(Kind.State, paramRoots);
}

/** State root of a state given as tensors. */
export function stateRootOf(state: readonly Float32Array[], h = sharedHasher()): Uint8Array {
  return stateRoot(
    state.map((s) => h.tensorRoot(s)),
    h,
  );
}

/** Dataset leaf of example i: u32be(label) || f32le(pixels). */
export function datasetLeaf(d: Dataset, i: number): Uint8Array {
  const px = d.pixels.subarray(i * d.dim, (i + 1) * d.dim);
  return concat(u32be(d.labels[i]!), new Uint8Array(px.buffer, px.byteOffset, px.byteLength).slice());
}

export function datasetRoot(d: Dataset, h = sharedHasher()): Uint8Array {
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < d.n; i++) leaves.push(datasetLeaf(d, i));
  return h.rootOfLeaves(Kind.Dataset, leaves);
}
