/**
 * Fixtures for the protocol tests and the gas bench: a toy job whose graph template is made of PARAM and RELU nodes
 * (the two rules of OneStepVerifierV0), with REAL commitments built by @refereed/core (tensor, graph, rollup and state
 * trees of docs/SPEC.md), an honest or tampered trainer that answers every move from its trace, challenger
 * strategies (random children, or a fraud finder that compares reveals with its own reference trace), and the
 * calldata of a direct dispute (the whole walk in one multicall).
 */
import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import type { network } from "hardhat";
import {
  CHUNK_BYTES,
  CHUNK_ELEMS,
  EMPTY_JOURNAL_ROOT,
  Kind,
  type MerkleTree,
  buildTree,
  chunkByteLength,
  concat,
  elementOpening,
  depthFor,
  encodeIterationLeaf,
  graphTree,
  innerHash,
  numLeavesFor,
  rollupTree,
  stateTree,
  tensorBytes,
  tensorTree,
  toHex,
  u32be,
  u64be,
} from "@refereed/core";
import { type Hex, encodeAbiParameters, encodeFunctionData, parseEventLogs } from "viem";
import { vrfKeygen } from "../../packages/core/src/vrf.js";
import { encodeDescriptor, templateTree, type NodeDescriptor } from "../../packages/core/src/template.js";

// ─────────────────────────────────────────── protocol enums (mirrors of Refereed.sol) ───────────────────────────────

export { Branch, GameStatus, JobStatus, levelsAt, Phase, RollupStatus, Side, trainerBondAward } from "../../packages/trainer/src/shared/game.js";
import { Branch, GameStatus, JobStatus, decodeClock, decodePosition, levelsAt, Phase, RollupStatus, Side } from "../../packages/trainer/src/shared/game.js";

/** Opcodes of the template (docs/GAME.md §1.1). */
export const OP = { PARAM: 1, RELU: 20 } as const;

export class FixtureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FixtureError";
  }
}

// ─────────────────────────────────────────── template ──────────────────────────────────────────────────────────────

/** Node descriptors are SPEC §7's, encoded by packages/core (the same bytes LibTemplate decodes). */
export type NodeDesc = NodeDescriptor;
export { encodeDescriptor, templateTree };

/**
 * The default toy template: two frozen parameters (each its own update node) and three RELUs.
 *   0 PARAM A (300 = 12x25; attrs paramId 0, 2 params, update node 0)   1 RELU(0)   4 RELU(1)
 *   2 PARAM B (5)   (attrs paramId 1, 2 params, update node 2)           3 RELU(2)
 * Five nodes give a graph tree of depth 3 with three padding leaves; 300 elements give two chunks, the last short.
 */
export function toyTemplate(bigNumel = 300): NodeDesc[] {
  return [
    { opcode: OP.PARAM, numel: bigNumel, rows: 1, cols: bigNumel, inputs: [], attrs: [0, 2, 0] },
    { opcode: OP.RELU, numel: bigNumel, rows: 1, cols: bigNumel, inputs: [0], attrs: [] },
    { opcode: OP.PARAM, numel: 5, rows: 1, cols: 5, inputs: [], attrs: [1, 2, 2] },
    { opcode: OP.RELU, numel: 5, rows: 1, cols: 5, inputs: [2], attrs: [] },
    { opcode: OP.RELU, numel: bigNumel, rows: 1, cols: bigNumel, inputs: [1], attrs: [] },
  ];
}

/** Deterministic float32 values with both signs, zeros (±0) and a subnormal. */
export function toyParams(template: readonly NodeDesc[], seed = 1): Float32Array[] {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const params: Float32Array[] = [];
  for (const d of template) {
    if (d.opcode !== OP.PARAM) continue;
    const t = new Float32Array(d.numel);
    for (let i = 0; i < t.length; i++) t[i] = (rnd() - 0.5) * 4;
    if (t.length > 3) {
      t[1] = -0;
      t[2] = 0;
      t[3] = 1e-40; // subnormal
    }
    params[d.attrs[0]!] = t;
  }
  return params;
}

// ─────────────────────────────────────────── traces ────────────────────────────────────────────────────────────────

export interface IterationTrace {
  readonly step: bigint;
  readonly outputs: Float32Array[];
  readonly trees: MerkleTree[];
  readonly graph: MerkleTree;
  readonly leaf: Uint8Array;
}

export interface StateTrace {
  readonly params: Float32Array[];
  readonly trees: MerkleTree[];
  readonly tree: MerkleTree;
}

export interface RollupTrace {
  readonly index: number;
  readonly firstStep: bigint;
  readonly iterations: IterationTrace[];
  readonly tree: MerkleTree;
  readonly start: StateTrace;
  readonly end: StateTrace;
}

/** A wrong value planted in a node's output (propagated to the nodes computed from it, as a real cheat would be). */
export interface Tamper {
  readonly rollup: number;
  readonly iteration: number;
  readonly node: number;
  readonly element: number;
  readonly value: number;
}

/** A wrong end state: parameter `param`, element `element` of rollup `rollup`'s end state set to `value`. */
export interface EndStateTamper {
  readonly rollup: number;
  readonly param: number;
  readonly element: number;
  readonly value: number;
}

export interface TraceOptions {
  readonly template: readonly NodeDesc[];
  readonly params: readonly Float32Array[];
  readonly stepsTotal: number;
  readonly rollupSteps: number;
  readonly tamper?: Tamper;
  readonly endTamper?: EndStateTamper;
}

function relu(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
  return y;
}

function stateOf(params: readonly Float32Array[]): StateTrace {
  const trees = params.map(tensorTree);
  return { params: [...params], trees, tree: stateTree(trees.map((t) => t.root)) };
}

/** The whole trace of a toy job: every iteration's node outputs and every commitment. */
export class Trace {
  readonly template: readonly NodeDesc[];
  readonly templateTree: MerkleTree;
  readonly descriptors: Uint8Array[];
  readonly rollups: RollupTrace[] = [];
  readonly initial: StateTrace;

  constructor(readonly opts: TraceOptions) {
    this.template = opts.template;
    this.descriptors = opts.template.map(encodeDescriptor);
    this.templateTree = templateTree(opts.template);
    this.initial = stateOf(opts.params);
    const honest = this.iterationOutputs(opts.params);
    const honestTrees = honest.map(tensorTree);
    const honestGraph = graphTree(honestTrees.map((t) => t.root));
    let start = this.initial;
    const nRollups = Math.ceil(opts.stepsTotal / opts.rollupSteps);
    for (let r = 0; r < nRollups; r++) {
      const firstStep = r * opts.rollupSteps;
      const count = Math.min(opts.rollupSteps, opts.stepsTotal - firstStep);
      const iterations: IterationTrace[] = [];
      for (let i = 0; i < count; i++) {
        const step = BigInt(firstStep + i);
        const t = opts.tamper;
        let outputs = honest;
        let trees = honestTrees;
        let graph = honestGraph;
        if (t && t.rollup === r && t.iteration === i) {
          outputs = this.iterationOutputs(opts.params, t);
          trees = outputs.map(tensorTree);
          graph = graphTree(trees.map((x) => x.root));
        }
        const leaf = encodeIterationLeaf({ step, graphRoot: graph.root, journalRoot: EMPTY_JOURNAL_ROOT });
        iterations.push({ step, outputs, trees, graph, leaf });
      }
      let end = stateOf(opts.params); // frozen parameters: the end state equals the start state
      const e = opts.endTamper;
      if (e && e.rollup === r) {
        const params = opts.params.map((p) => p.slice());
        params[e.param]![e.element] = e.value;
        end = stateOf(params);
      }
      const tree = rollupTree(iterations.map((it) => ({ step: it.step, graphRoot: it.graph.root, journalRoot: EMPTY_JOURNAL_ROOT })));
      this.rollups.push({ index: r, firstStep: BigInt(firstStep), iterations, tree, start, end });
      start = end;
    }
  }

  /** Node outputs of one iteration (parameters frozen), with an optional planted value propagated downstream. */
  private iterationOutputs(params: readonly Float32Array[], tamper?: Tamper): Float32Array[] {
    const out: Float32Array[] = [];
    this.template.forEach((d, j) => {
      let v: Float32Array;
      if (d.opcode === OP.PARAM) v = params[d.attrs[0]!]!.slice();
      else if (d.opcode === OP.RELU) v = relu(out[d.inputs[0]!]!);
      else throw new FixtureError(`toy template: unsupported opcode ${d.opcode} at node ${j}`);
      if (tamper && tamper.node === j) v[tamper.element] = tamper.value;
      out.push(v);
    });
    return out;
  }

  claim(r: number): readonly [Hex, Hex, Hex] {
    const ro = this.rollups[r]!;
    return [toHex(ro.start.tree.root), toHex(ro.tree.root), toHex(ro.end.tree.root)];
  }
}

// ─────────────────────────────────────────── tree helpers ──────────────────────────────────────────────────────────

/** The 2^L descendants at height h − L of node (h, index): padding positions give zero subtrees. */
export function childrenOf(tree: MerkleTree, h: number, index: bigint, levels: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const first = Number(index) << levels;
  for (let k = 0; k < 1 << levels; k++) out.push(tree.node(h - levels, first + k).slice());
  return out;
}

/** Siblings (bottom-up) of child k inside the subtree formed by `children` (2^L hashes). */
export function siblingsOf(children: readonly Uint8Array[], k: number): Uint8Array[] {
  const sibs: Uint8Array[] = [];
  let level: Uint8Array[] = children.map((c) => c.slice());
  let i = k;
  while (level.length > 1) {
    sibs.push(level[i ^ 1]!);
    const next: Uint8Array[] = [];
    for (let j = 0; j < level.length / 2; j++) next.push(innerHash(level[2 * j]!, level[2 * j + 1]!).slice());
    level = next;
    i >>= 1;
  }
  return sibs;
}


/** Real width of a tree at height t. */
export function widthAt(kind: number, len: bigint, t: number): bigint {
  const n = BigInt(numLeavesFor(kind as Kind, Number(len)));
  return ((n - 1n) >> BigInt(t)) + 1n;
}

export function chunkOf(t: Float32Array, c: number): Uint8Array {
  return tensorBytes(t).slice(c * CHUNK_BYTES, c * CHUNK_BYTES + chunkByteLength(t.length, c));
}

const hexes = (xs: readonly Uint8Array[]): Hex[] => xs.map(toHex);

// ─────────────────────────────────────────── step proofs (OneStepVerifierV0 layout) ─────────────────────────────────

const INPUT_OPENING = {
  type: "tuple",
  components: [
    { name: "descriptor", type: "bytes" },
    { name: "templateProof", type: "bytes32[]" },
    { name: "tensorRoot", type: "bytes32" },
    { name: "graphProof", type: "bytes32[]" },
    { name: "chunk", type: "bytes" },
    { name: "chunkProof", type: "bytes32[]" },
  ],
} as const;
const STATE_OPENING = {
  type: "tuple",
  components: [
    { name: "paramRoot", type: "bytes32" },
    { name: "stateProof", type: "bytes32[]" },
    { name: "chunk", type: "bytes" },
    { name: "chunkProof", type: "bytes32[]" },
  ],
} as const;
const PREV_OPENING = {
  type: "tuple",
  components: [
    { name: "iterationLeaf", type: "bytes" },
    { name: "rollupProof", type: "bytes32[]" },
    { name: "tensorRoot", type: "bytes32" },
    { name: "graphProof", type: "bytes32[]" },
    { name: "chunk", type: "bytes" },
    { name: "chunkProof", type: "bytes32[]" },
  ],
} as const;

function stateOpening(state: StateTrace, param: number, element: number): Hex {
  const c = Math.floor(element / CHUNK_ELEMS);
  return encodeAbiParameters(
    [STATE_OPENING],
    [
      {
        paramRoot: toHex(state.trees[param]!.root),
        stateProof: hexes(state.tree.proof(param).siblings),
        chunk: toHex(chunkOf(state.params[param]!, c)),
        chunkProof: hexes(state.trees[param]!.proof(c).siblings),
      },
    ],
  );
}

/** The `proof` argument of `step` for element `element` of node `nodeId` in iteration `i` of rollup `r`. */
export function stepProof(
  trace: Trace,
  r: number,
  i: number,
  nodeId: number,
  element: number,
  mutateInputChunk?: (chunk: Uint8Array) => void,
): Hex {
  const ro = trace.rollups[r]!;
  const it = ro.iterations[i]!;
  const d = trace.template[nodeId]!;
  const c = Math.floor(element / CHUNK_ELEMS);
  let opProof: Hex;
  if (d.opcode === OP.RELU) {
    const x = d.inputs[0]!;
    const inputChunk = chunkOf(it.outputs[x]!, c);
    mutateInputChunk?.(inputChunk);
    opProof = encodeAbiParameters(
      [INPUT_OPENING],
      [
        {
          descriptor: toHex(trace.descriptors[x]!),
          templateProof: hexes(trace.templateTree.proof(x).siblings),
          tensorRoot: toHex(it.trees[x]!.root),
          graphProof: hexes(it.graph.proof(x).siblings),
          chunk: toHex(inputChunk),
          chunkProof: hexes(it.trees[x]!.proof(c).siblings),
        },
      ],
    );
  } else if (d.opcode === OP.PARAM) {
    const [paramId, , updateNode] = d.attrs as [number, number, number];
    let link: Hex;
    if (i === 0) {
      link = stateOpening(ro.start, paramId, element);
    } else {
      const prev = ro.iterations[i - 1]!;
      link = encodeAbiParameters(
        [PREV_OPENING],
        [
          {
            iterationLeaf: toHex(prev.leaf),
            rollupProof: hexes(ro.tree.proof(i - 1).siblings),
            tensorRoot: toHex(prev.trees[updateNode]!.root),
            graphProof: hexes(prev.graph.proof(updateNode).siblings),
            chunk: toHex(chunkOf(prev.outputs[updateNode]!, c)),
            chunkProof: hexes(prev.trees[updateNode]!.proof(c).siblings),
          },
        ],
      );
    }
    const endLink = updateNode === nodeId && i === ro.iterations.length - 1;
    const end: Hex = endLink ? stateOpening(ro.end, paramId, element) : "0x";
    opProof = encodeAbiParameters([{ type: "bytes" }, { type: "bytes" }], [link, end]);
  } else {
    throw new FixtureError(`no step proof for opcode ${d.opcode}`);
  }
  return encodeAbiParameters(
    [{ type: "bytes" }, { type: "bytes32[]" }, { type: "bytes" }],
    [toHex(trace.descriptors[nodeId]!), hexes(trace.templateTree.proof(nodeId).siblings), opProof],
  );
}

// ─────────────────────────────────────────── chain fixtures ────────────────────────────────────────────────────────

export type RefereedContract = ContractReturnType<"Refereed">;
export type Connection = Awaited<ReturnType<typeof network.create>>;
export type Viem = Connection["viem"];
export type Wallet = Awaited<ReturnType<Viem["getWalletClients"]>>[number];

export interface JobConfig {
  readonly stepsTotal: number;
  readonly rollupSteps: number;
  readonly reward: bigint;
  readonly trainerBond: bigint;
  readonly challengerBond: bigint;
  readonly challengeWindow: bigint;
  readonly trainerClock: bigint;
  readonly challengerClock: bigint;
  readonly submissionTimeout: bigint;
}

export const DEFAULT_JOB: JobConfig = {
  stepsTotal: 12,
  rollupSteps: 5,
  reward: 1_200_000n,
  trainerBond: 500_000n,
  challengerBond: 100_000n,
  challengeWindow: 7_200n,
  trainerClock: 3_600n,
  challengerClock: 3_600n,
  submissionTimeout: 86_400n,
};

export function jobParams(trace: Trace, cfg: JobConfig, specHash: Hex = `0x${"ab".repeat(32)}`) {
  return {
    specHash,
    templateRoot: toHex(trace.templateTree.root),
    initialState: toHex(trace.initial.tree.root),
    datasetRoot: `0x${"00".repeat(32)}` as Hex,
    datasetSize: 0n,
    nodeCount: trace.template.length,
    dropoutLayers: 0,
    toleranceProfile: 0,
    stepsTotal: BigInt(cfg.stepsTotal),
    rollupSteps: BigInt(cfg.rollupSteps),
    challengeWindow: cfg.challengeWindow,
    trainerClock: cfg.trainerClock,
    challengerClock: cfg.challengerClock,
    submissionTimeout: cfg.submissionTimeout,
    trainerBond: cfg.trainerBond,
    challengerBond: cfg.challengerBond,
  };
}

/** A deterministic BLS key with its proof of possession. */
export function trainerKey(seedByte = 7) {
  const k = vrfKeygen(new Uint8Array(32).fill(seedByte));
  return { pk: toHex(k.pk), pop: toHex(k.pop) };
}

export function rollupId(jobId: bigint, index: number | bigint): bigint {
  return (jobId << 64n) | BigInt(index);
}

// ─────────────────────────────────────────── game state ────────────────────────────────────────────────────────────

export interface GameState {
  readonly current: Hex;
  readonly phase: Phase;
  readonly height: number;
  readonly index: bigint;
  readonly len: bigint;
  readonly atRoot: boolean;
  readonly revealed: boolean;
  readonly status: number;
  readonly challenger: `0x${string}`;
  readonly rollupId: bigint;
  readonly iteration: number;
  readonly nodeId: number;
  readonly element: number;
  readonly descriptorHash: Hex;
  /** settled by `resolve` (ADR 0010): the status alone is the verdict */
  readonly resolved: boolean;
  readonly trainerLeft: bigint;
  readonly challengerLeft: bigint;
  readonly lastMove: bigint;
}

export function decodeGame(g: {
  current: Hex;
  pos: bigint;
  clock: bigint;
  status: number;
  challenger: `0x${string}`;
  rollupId: bigint;
  iteration: number;
  nodeId: number;
  element: number;
  descriptorHash: Hex;
  resolved: boolean;
}): GameState {
  return {
    current: g.current,
    ...decodePosition(g.pos),
    status: g.status,
    challenger: g.challenger,
    rollupId: g.rollupId,
    iteration: Number(g.iteration),
    nodeId: Number(g.nodeId),
    element: Number(g.element),
    descriptorHash: g.descriptorHash,
    resolved: g.resolved,
    ...decodeClock(g.clock),
  };
}

export async function readGame(refereed: RefereedContract, gameId: bigint): Promise<GameState> {
  return decodeGame((await refereed.read.getGame([gameId])) as Parameters<typeof decodeGame>[0]);
}

const TREE_KIND: Partial<Record<Phase, number>> = {
  [Phase.RollupTree]: Kind.Rollup,
  [Phase.GraphTree]: Kind.Graph,
  [Phase.TensorTree]: Kind.Tensor,
};

/** The tree of `trace` the game is walking. */
export function treeAt(trace: Trace, r: number, s: GameState): MerkleTree {
  const ro = trace.rollups[r]!;
  if (s.phase === Phase.RollupTree) return ro.tree;
  const it = ro.iterations[s.iteration]!;
  if (s.phase === Phase.GraphTree) return it.graph;
  if (s.phase === Phase.TensorTree) return it.trees[s.nodeId]!;
  throw new FixtureError(`no tree in phase ${s.phase}`);
}

/** The nodes a reveal at position `s` carries, from `trace` (the top first at a root). */
export function revealNodes(trace: Trace, r: number, s: GameState): Uint8Array[] {
  const tree = treeAt(trace, r, s);
  const L = levelsAt(s.height);
  if (s.atRoot) return s.height === 0 ? [tree.top] : [tree.top, ...childrenOf(tree, s.height, 0n, L)];
  return childrenOf(tree, s.height, s.index, L);
}

// ─────────────────────────────────────────── players ───────────────────────────────────────────────────────────────

/** What a challenger strategy sees when a choice is due. */
export interface ChoiceView {
  readonly state: GameState;
  /** the revealed children (2^L hashes, without the top) */
  readonly children: readonly Uint8Array[];
  /** index (at height h − L) of the first child */
  readonly firstIndex: bigint;
  /** real width at the children's height: children at firstIndex + k >= width are padding */
  readonly width: bigint;
}

export interface Chooser {
  child(v: ChoiceView): number;
  element(state: GameState, chunk: Uint8Array): number;
}

/** Picks real children and elements at random (xorshift, seeded): an honest trainer must win whatever it picks. */
export function randomChooser(seed: number): Chooser {
  let s = seed >>> 0 || 1;
  const rnd = (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
  return {
    child: (v) => rnd(Number(v.width - v.firstIndex < BigInt(v.children.length) ? v.width - v.firstIndex : BigInt(v.children.length))),
    element: (_s, chunk) => rnd(chunk.length / 4),
  };
}

/** Follows a fixed path: `children[k]` at the k-th tree choice, then `element`. Out-of-range picks are sent as is. */
export function scriptedChooser(children: readonly number[], element: number): Chooser {
  let k = 0;
  return { child: () => children[k++] ?? 0, element: () => element };
}

/**
 * Compares every reveal with its own reference trace and descends into the first (leftmost) child that differs;
 * picks the first differing element. Leftmost = lowest node id, so the first differing node has honest inputs: it is
 * locally wrong, which is what the one-step check sees.
 */
export function fraudFinder(reference: Trace, r: number): Chooser {
  return {
    child: (v) => {
      const mine = childrenOf(treeAt(reference, r, v.state), v.state.height, v.state.index, levelsAt(v.state.height));
      for (let k = 0; k < v.children.length; k++) {
        if (toHex(mine[k]!) !== toHex(v.children[k]!)) return k;
      }
      return 0;
    },
    element: (s, chunk) => {
      const it = reference.rollups[r]!.iterations[s.iteration]!;
      const ref = chunkOf(it.outputs[s.nodeId]!, Number(s.index));
      for (let e = 0; e < chunk.length / 4; e++) {
        for (let b = 0; b < 4; b++) if (ref[4 * e + b] !== chunk[4 * e + b]) return e;
      }
      return 0;
    },
  };
}

// ─────────────────────────────────────────── the direct dispute ────────────────────────────────────────────────────

/** The path of a direct dispute: which iteration, node and element to walk to. */
export interface Target {
  readonly iteration: number;
  readonly node: number;
  readonly element: number;
}

/** The reveal/choose pairs that walk `tree` from its root to leaf `leaf` (the top first in the first reveal). */
export function walkTree(tree: MerkleTree, leaf: number): { nodes: Uint8Array[]; child: number; siblings: Uint8Array[] }[] {
  const moves: { nodes: Uint8Array[]; child: number; siblings: Uint8Array[] }[] = [];
  let h = tree.depth;
  let idx = 0n;
  if (h === 0) return [{ nodes: [tree.top], child: -1, siblings: [] }];
  let first = true;
  while (h > 0) {
    const L = levelsAt(h);
    const children = childrenOf(tree, h, idx, L);
    const k = Number((BigInt(leaf) >> BigInt(h - L)) & ((1n << BigInt(L)) - 1n));
    moves.push({ nodes: first ? [tree.top, ...children] : children, child: k, siblings: siblingsOf(children, k) });
    first = false;
    idx = (idx << BigInt(L)) | BigInt(k);
    h -= L;
  }
  return moves;
}

/**
 * The calls of a whole game (reveal, choose, leaf reveals, step) for `multicall`, from a public trace; by default
 * followed by `resolve`, so that the one transaction also settles the game (ADR 0010).
 */
export function directDisputeCalls(
  refereed: { abi: RefereedContract["abi"] },
  trace: Trace,
  r: number,
  gameId: bigint,
  target: Target,
  opts: { resolve?: boolean } = {},
): Hex[] {
  const abi = refereed.abi;
  const calls: Hex[] = [];
  const ro = trace.rollups[r]!;
  const it = ro.iterations[target.iteration]!;
  const walk = (tree: MerkleTree, leaf: number) => {
    for (const m of walkTree(tree, leaf)) {
      calls.push(encodeFunctionData({ abi, functionName: "reveal", args: [gameId, hexes(m.nodes)] }));
      if (m.child >= 0) {
        const children = m.nodes.length > 1 && m.nodes.length % 2 === 1 ? m.nodes.slice(1) : m.nodes;
        calls.push(
          encodeFunctionData({
            abi,
            functionName: "choose",
            args: [gameId, BigInt(m.child), toHex(children[m.child]!), hexes(m.siblings)],
          }),
        );
      }
    }
  };
  walk(ro.tree, target.iteration);
  calls.push(encodeFunctionData({ abi, functionName: "revealIteration", args: [gameId, toHex(it.leaf)] }));
  calls.push(encodeFunctionData({ abi, functionName: "chooseBranch", args: [gameId, Branch.Graph] }));
  walk(it.graph, target.node);
  calls.push(
    encodeFunctionData({
      abi,
      functionName: "revealNode",
      args: [
        gameId,
        toHex(it.trees[target.node]!.root),
        toHex(trace.descriptors[target.node]!),
        hexes(trace.templateTree.proof(target.node).siblings),
      ],
    }),
  );
  const c = Math.floor(target.element / CHUNK_ELEMS);
  walk(it.trees[target.node]!, c);
  const chunk = chunkOf(it.outputs[target.node]!, c);
  calls.push(encodeFunctionData({ abi, functionName: "revealChunk", args: [gameId, toHex(chunk)] }));
  calls.push(
    encodeFunctionData({
      abi,
      functionName: "chooseElement",
      args: [gameId, BigInt(target.element % CHUNK_ELEMS), toHex(elementOpening(chunk, target.element % CHUNK_ELEMS))],
    }),
  );
  const [s, root, e] = trace.claim(r);
  calls.push(
    encodeFunctionData({
      abi,
      functionName: "step",
      args: [gameId, s, root, e, "0x", stepProof(trace, r, target.iteration, target.node, target.element)],
    }),
  );
  if (opts.resolve ?? true) calls.push(encodeFunctionData({ abi, functionName: "resolve", args: [gameId] }));
  return calls;
}


// ─────────────────────────────────────────── the harness: players over the chain ───────────────────────────────────

export interface Sent {
  readonly hash: Hex;
  /** receipt.gasUsed − 21,000: what the transaction cost beyond the base (calldata included) */
  readonly gas: bigint;
  readonly logs: readonly { eventName: string; args: Record<string, unknown> }[];
}

export interface PlayResult {
  readonly status: number;
  /** transactions (and their gas beyond the base) from the opening to the verdict, plus the `resolve` when sent */
  readonly txs: number;
  readonly gas: bigint;
  /** the `resolve` transaction's gas beyond the base (null when `play` was told not to resolve) */
  readonly resolveGas: bigint | null;
  /** gas of each (reveal, choose) pair at a 16-child inner node, for the bench */
  readonly moves: { reveal: bigint; choose: bigint }[];
}

/** Deploys the protocol and drives jobs, rollups and games with real transactions. */
export class Harness {
  readonly revealed = new Map<bigint, Uint8Array[]>();
  jobId = 0n;

  private constructor(
    readonly conn: Connection,
    readonly refereed: RefereedContract,
    readonly keys: ContractReturnType<"TrainerKeys">,
    readonly verifier: ContractReturnType<"OneStepVerifierV0">,
    readonly publicClient: Awaited<ReturnType<Viem["getPublicClient"]>>,
    readonly requester: Wallet,
    readonly trainer: Wallet,
    readonly alice: Wallet,
    readonly bob: Wallet,
    readonly anyone: Wallet,
    public trace: Trace,
    readonly cfg: JobConfig,
  ) {}

  static async create(conn: Connection, trace: Trace, cfg: JobConfig = DEFAULT_JOB): Promise<Harness> {
    const viem = conn.viem;
    const verifier = await viem.deployContract("OneStepVerifierV0");
    const keys = await viem.deployContract("TrainerKeys");
    const refereed = await viem.deployContract("Refereed", [verifier.address, keys.address]);
    const [requester, trainer, alice, bob, anyone] = await viem.getWalletClients();
    const publicClient = await viem.getPublicClient();
    return new Harness(conn, refereed, keys, verifier, publicClient, requester!, trainer!, alice!, bob!, anyone!, trace, cfg);
  }

  /** Waits for a transaction, requires success, returns its gas beyond the base and its decoded events. */
  async sent(hash: Hex | Promise<Hex>): Promise<Sent> {
    const h = await hash;
    const receipt = await this.publicClient.waitForTransactionReceipt({ hash: h });
    if (receipt.status !== "success") throw new FixtureError(`transaction ${h} failed`);
    const logs = parseEventLogs({ abi: this.refereed.abi, logs: receipt.logs }) as unknown as Sent["logs"];
    return { hash: h, gas: receipt.gasUsed - 21_000n, logs };
  }

  /** Gas (beyond the base) of the last `setupJob`'s createJob and acceptJob. */
  setupGas: { create: bigint; accept: bigint } | null = null;

  /** Registers the trainer's key, creates the job and accepts it (in a later block than the registration). */
  async setupJob(specHash?: Hex): Promise<bigint> {
    const k = trainerKey();
    await this.sent(this.keys.write.registerKey([k.pk, k.pop], { account: this.trainer.account }));
    const s = await this.sent(
      this.refereed.write.createJob([jobParams(this.trace, this.cfg, specHash)], {
        account: this.requester.account,
        value: this.cfg.reward,
      }),
    );
    const created = s.logs.find((l) => l.eventName === "JobCreated");
    if (!created) throw new FixtureError("no JobCreated event");
    this.jobId = created.args.jobId as bigint;
    const a = await this.sent(
      this.refereed.write.acceptJob([this.jobId], { account: this.trainer.account, value: this.cfg.trainerBond }),
    );
    this.setupGas = { create: s.gas, accept: a.gas };
    return this.jobId;
  }

  /** Submits rollups [from, to) of the trace. */
  async submit(from = 0, to = this.trace.rollups.length): Promise<Sent[]> {
    const out: Sent[] = [];
    for (let r = from; r < to; r++) {
      const [s, root, e] = this.trace.claim(r);
      out.push(
        await this.sent(
          this.refereed.write.submitRollup([this.jobId, s, root, e, `ipfs://trace/${r}`], {
            account: this.trainer.account,
          }),
        ),
      );
    }
    return out;
  }

  rollupId(r: number): bigint {
    return rollupId(this.jobId, r);
  }

  async openGame(r: number, who: Wallet = this.alice): Promise<{ gameId: bigint; sent: Sent }> {
    const [s, root, e] = this.trace.claim(r);
    const sent = await this.sent(
      this.refereed.write.openGame([this.rollupId(r), s, root, e], { account: who.account, value: this.cfg.challengerBond }),
    );
    const ev = sent.logs.find((l) => l.eventName === "GameOpened");
    if (!ev) throw new FixtureError("no GameOpened event");
    return { gameId: ev.args.gameId as bigint, sent };
  }

  async game(gameId: bigint): Promise<GameState> {
    return readGame(this.refereed, gameId);
  }

  /** One move of the trainer (from `trace`, by default the trainer's own), whatever is due. */
  async trainerMove(gameId: bigint, r: number, trace: Trace = this.trace, who: Wallet = this.trainer): Promise<Sent> {
    const s = await this.game(gameId);
    const account = who.account;
    const ro = trace.rollups[r]!;
    if (s.phase === Phase.RollupTree || s.phase === Phase.GraphTree || s.phase === Phase.TensorTree) {
      const nodes = revealNodes(trace, r, s);
      const sent = await this.sent(this.refereed.write.reveal([gameId, hexes(nodes)], { account }));
      const ev = sent.logs.find((l) => l.eventName === "Revealed");
      if (!ev) throw new FixtureError("no Revealed event");
      // The challenger reads the children from the event, as a bot would.
      const evNodes = (ev.args.nodes as Hex[]).map((h) => Uint8Array.from(Buffer.from(h.slice(2), "hex")));
      this.revealed.set(gameId, s.atRoot ? evNodes.slice(1) : evNodes);
      return sent;
    }
    if (s.phase === Phase.IterationLeaf) {
      return this.sent(this.refereed.write.revealIteration([gameId, toHex(ro.iterations[Number(s.index)]!.leaf)], { account }));
    }
    const it = ro.iterations[s.iteration]!;
    if (s.phase === Phase.NodeLeaf) {
      const j = Number(s.index);
      return this.sent(
        this.refereed.write.revealNode(
          [gameId, toHex(it.trees[j]!.root), toHex(trace.descriptors[j]!), hexes(trace.templateTree.proof(j).siblings)],
          { account },
        ),
      );
    }
    if (s.phase === Phase.ChunkLeaf) {
      return this.sent(
        this.refereed.write.revealChunk([gameId, toHex(chunkOf(it.outputs[s.nodeId]!, Number(s.index)))], { account }),
      );
    }
    if (s.phase === Phase.ElementStep) {
      const [st, root, e] = trace.claim(r);
      return this.sent(this.refereed.write.step([gameId, st, root, e, "0x", stepProof(trace, r, s.iteration, s.nodeId, s.element)], { account }));
    }
    throw new FixtureError(`no trainer move in phase ${s.phase}`);
  }

  /** One move of the challenger, chosen by `chooser`. */
  async challengerMove(gameId: bigint, chooser: Chooser, who: Wallet = this.alice): Promise<Sent> {
    const s = await this.game(gameId);
    const account = who.account;
    if (s.phase === Phase.RollupTree || s.phase === Phase.GraphTree || s.phase === Phase.TensorTree) {
      const children = this.revealed.get(gameId);
      if (!children) throw new FixtureError(`game ${gameId}: no reveal seen`);
      const L = levelsAt(s.height);
      const firstIndex = s.index << BigInt(L);
      const width = widthAt(TREE_KIND[s.phase]!, s.len, s.height - L);
      const k = chooser.child({ state: s, children, firstIndex, width });
      return this.sent(
        this.refereed.write.choose([gameId, BigInt(k), toHex(children[k] ?? new Uint8Array(32)), hexes(siblingsOf(children, k % children.length))], {
          account,
        }),
      );
    }
    if (s.phase === Phase.IterationLeaf) {
      return this.sent(this.refereed.write.chooseBranch([gameId, Branch.Graph], { account }));
    }
    if (s.phase === Phase.ChunkLeaf) {
      const it = this.trace.rollups[Number(s.rollupId & ((1n << 64n) - 1n))]!.iterations[s.iteration]!;
      const chunk = chunkOf(it.outputs[s.nodeId]!, Number(s.index));
      const offset = chooser.element(s, chunk);
      return this.sent(this.refereed.write.chooseElement([gameId, BigInt(offset), toHex(elementOpening(chunk, offset))], { account }));
    }
    throw new FixtureError(`no challenger move in phase ${s.phase}`);
  }

  /**
   * Plays a game to its end: the trainer answers from its trace, the challenger picks with `chooser`; then a third
   * party settles it (`resolve`) unless `opts.resolve` is false.
   */
  async play(gameId: bigint, r: number, chooser: Chooser, who: Wallet = this.alice, opts: { resolve?: boolean } = {}): Promise<PlayResult> {
    let txs = 0;
    let gas = 0n;
    const moves: { reveal: bigint; choose: bigint }[] = [];
    let lastReveal: { gas: bigint; full: boolean } | undefined;
    for (let guard = 0; guard < 200; guard++) {
      const s = await this.game(gameId);
      if (s.status !== GameStatus.InProgress) {
        if (!(opts.resolve ?? true)) return { status: s.status, txs, gas, moves, resolveGas: null };
        const settled = await this.resolve(gameId);
        return { status: s.status, txs: txs + 1, gas: gas + settled.gas, moves, resolveGas: settled.gas };
      }
      const side = await this.refereed.read.sideToMove([gameId]);
      let sent: Sent;
      if (side === Side.Trainer) {
        sent = await this.trainerMove(gameId, r);
        const isTree = s.phase === Phase.RollupTree || s.phase === Phase.GraphTree || s.phase === Phase.TensorTree;
        lastReveal = isTree ? { gas: sent.gas, full: !s.atRoot && s.height >= 4 } : undefined;
      } else {
        sent = await this.challengerMove(gameId, chooser, who);
        if (lastReveal?.full) moves.push({ reveal: lastReveal.gas, choose: sent.gas });
        lastReveal = undefined;
      }
      txs++;
      gas += sent.gas;
    }
    throw new FixtureError(`game ${gameId} did not end in 200 moves`);
  }

  /** Settles a decided game (`resolve`; anyone may send it). */
  async resolve(gameId: bigint, who: Wallet = this.anyone): Promise<Sent> {
    return this.sent(this.refereed.write.resolve([gameId], { account: who.account }));
  }

  /** Requires the contract's balance to equal what it owes, bucket by bucket. */
  async solvency(): Promise<{ balance: bigint; owed: bigint }> {
    const balance = await this.publicClient.getBalance({ address: this.refereed.address });
    const owed = await this.refereed.read.totalOwed();
    return { balance, owed };
  }

  async credit(w: Wallet): Promise<bigint> {
    return this.refereed.read.credits([w.account.address]);
  }
}
