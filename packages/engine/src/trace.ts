/**
 * The trace store: every iteration's node outputs, journal and roots on disk, in the format documented in
 * packages/engine/TRACE_FORMAT.md. A different process reads it back (TraceReader), verifies it against the
 * roots, and serves element proofs (element → tensor root → graph root → iteration leaf → rollup root).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import {
  Kind,
  MerkleTree,
  decodeJournalEntry,
  encodeIterationLeaf,
  encodeJournalEntry,
  equalBytes,
  fromHex,
  leafHash,
  openElement,
  openRange,
  sha256,
  tensorTree,
  toHex,
  verifyElement,
  verifyProof,
  JOURNAL_ENTRY_BYTES,
  type ElementOpening,
  type RangeOpening,
  type Hex,
  type JournalEntry,
} from "@refereed/core";
import { graphRootOf, journalRootOf, rollupRoot, stateRoot, type IterationCommitment } from "./commit.js";
import { TraceFormatError } from "./errors.js";
import { Executor } from "./executor.js";
import { FastHasher } from "./fasthash.js";
import { numel, templateHash, type GraphNode, type GraphTemplate } from "./graph.js";
import { makeJob, type Job, type JobSpec } from "./job.js";
import { fastKeepMask } from "./vdo.js";

export const TRACE_MAGIC = "RFDTRACE";
/** The version TraceWriter writes; TraceReader also reads version 1 (every node stored, no storage bytes). */
export const TRACE_VERSION = 2;
export const MANIFEST_FORMAT = "refereed-trace/2";
/** Manifest formats TraceReader accepts, by iteration file version. */
export const READABLE_MANIFEST_FORMATS: Readonly<Record<string, number>> = { "refereed-trace/1": 1, "refereed-trace/2": 2 };
const FIXED_HEADER = 128;

/** How an iteration file holds a node's output (TRACE_FORMAT.md): its bytes, or "recompute it from its inputs". */
export const NodeStorage = { Stored: 0, Replayed: 1 } as const;

/** Nodes without inputs (parameters, the batch): a replay starts from them, so they are always stored. */
export const isSourceNode = (n: GraphNode): boolean => n.op === "param" || n.op === "data_x" || n.op === "data_y";

/**
 * Which nodes an iteration file stores: only the source nodes when the iteration is replayable (every other output is
 * what the engine's kernels compute from them and the journal's masks), every node otherwise (a trainer that changed
 * an output or a mask: an adversary).
 */
export function storedNodes(t: GraphTemplate, replayable: boolean): boolean[] {
  return t.nodes.map((n) => !replayable || isSourceNode(n));
}

export interface RollupInfo {
  readonly index: number;
  readonly firstStep: number;
  readonly count: number;
  readonly root: Hex;
  readonly startStateRoot: Hex;
  readonly endStateRoot: Hex;
}

export interface TraceManifest {
  /** `refereed-trace/2` when written; a reader also accepts `refereed-trace/1` */
  readonly format: string;
  readonly spec: JobSpec;
  readonly nonce: Hex;
  readonly modelId: Hex;
  readonly firstStep: number;
  readonly rollupSize: number;
  readonly iterations: { readonly step: number; readonly file: string; readonly leaf: Hex }[];
  readonly rollups: RollupInfo[];
}

export const iterationFileName = (step: number): string => `iter-${String(step).padStart(9, "0")}.bin`;

function headerLength(nodes: number, journal: number, batch: number, version = TRACE_VERSION): number {
  const raw = FIXED_HEADER + 4 * nodes + (version >= 2 ? nodes : 0) + 32 * nodes + JOURNAL_ENTRY_BYTES * journal + 4 * batch;
  return Math.ceil(raw / 16) * 16;
}

/** Encodes the header region (everything before the header checksum) of an iteration file. */
function encodeHeader(t: GraphTemplate, tHash: Uint8Array, c: IterationCommitment, examples: Uint32Array, stored: readonly boolean[]): Uint8Array {
  const N = t.nodes.length;
  const J = c.journal.length;
  const B = examples.length;
  const H = headerLength(N, J, B);
  const buf = new Uint8Array(H);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < 8; i++) buf[i] = TRACE_MAGIC.charCodeAt(i);
  dv.setUint32(8, TRACE_VERSION, false);
  dv.setUint32(12, N, false);
  dv.setBigUint64(16, BigInt(c.step), false);
  dv.setUint32(24, J, false);
  dv.setUint32(28, B, false);
  buf.set(tHash, 32);
  buf.set(c.graphRoot, 64);
  buf.set(c.journalRoot, 96);
  let o = FIXED_HEADER;
  for (const n of t.nodes) {
    dv.setUint32(o, numel(n.shape), false);
    o += 4;
  }
  for (let i = 0; i < N; i++) buf[o++] = stored[i] ? NodeStorage.Stored : NodeStorage.Replayed;
  for (const r of c.nodeRoots) {
    buf.set(r, o);
    o += 32;
  }
  for (const e of c.journal) {
    buf.set(encodeJournalEntry(e), o);
    o += JOURNAL_ENTRY_BYTES;
  }
  for (const e of examples) {
    dv.setUint32(o, e, false);
    o += 4;
  }
  return buf;
}

export interface TraceWriterOptions {
  readonly dir: string;
  readonly job: Job;
  /** iterations per rollup */
  readonly rollupSize: number;
  /** first step of the first rollup */
  readonly firstStep: number;
}

/** Writes iteration files as they come and the manifest (rewritten at every finished rollup and at finish()). */
export class TraceWriter {
  private readonly tHash: Uint8Array;
  private readonly iterations: { step: number; file: string; leaf: Hex }[] = [];
  private readonly rollups: RollupInfo[] = [];
  private pendingLeaves: Uint8Array[] = [];
  private pendingStart: Uint8Array | null = null;
  private lastEnd: Uint8Array | null = null;
  private readonly hasher = new FastHasher();

  constructor(readonly opts: TraceWriterOptions) {
    if (!Number.isInteger(opts.rollupSize) || opts.rollupSize < 1) throw new TraceFormatError(opts.dir, `rollup size must be a positive integer, got ${opts.rollupSize}`);
    mkdirSync(opts.dir, { recursive: true });
    this.tHash = fromHex(templateHash(opts.job.template), 32);
  }

  get nextStep(): number {
    return this.opts.firstStep + this.iterations.length;
  }

  /**
   * Appends iteration `c.step` (must be the next step); `outputs` are the node tensors the roots commit to. `stored`
   * (default: every node) says which outputs the file holds; the others are replayed by the reader (`storedNodes`).
   * Only pass a node as not stored when the engine's kernel computed it from the stored values and the journal's masks.
   */
  writeIteration(c: IterationCommitment, outputs: readonly Float32Array[], examples: Uint32Array, stored: readonly boolean[] = storedNodes(this.opts.job.template, false)): void {
    const t = this.opts.job.template;
    if (c.step !== this.nextStep) throw new TraceFormatError(this.opts.dir, `expected step ${this.nextStep}, got ${c.step}`);
    if (stored.length !== t.nodes.length) throw new TraceFormatError(this.opts.dir, `storage flags for ${stored.length} nodes, the template has ${t.nodes.length}`);
    for (const n of t.nodes) if (!stored[n.id] && isSourceNode(n)) throw new TraceFormatError(this.opts.dir, `node ${n.id} (${n.name}) has no inputs to replay it from: it must be stored`);
    const header = encodeHeader(t, this.tHash, c, examples, stored);
    const file = iterationFileName(c.step);
    const path = join(this.opts.dir, file);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, header);
      writeSync(fd, sha256(header));
      outputs.forEach((o, i) => {
        if (stored[i]) writeSync(fd, new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
      });
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    this.iterations.push({ step: c.step, file, leaf: toHex(c.leaf) });
    if (this.pendingLeaves.length === 0) this.pendingStart = stateRoot(t.params.map((p) => c.nodeRoots[p.id]!), this.hasher);
    this.pendingLeaves.push(c.leaf);
    this.lastEnd = stateRoot(t.updateOf.map((u) => c.nodeRoots[u]!), this.hasher);
    if (this.pendingLeaves.length === this.opts.rollupSize) this.closeRollup();
  }

  private closeRollup(): void {
    if (this.pendingLeaves.length === 0) return;
    const count = this.pendingLeaves.length;
    this.rollups.push({
      index: this.rollups.length,
      firstStep: this.opts.firstStep + this.rollups.length * this.opts.rollupSize,
      count,
      root: toHex(rollupRoot(this.pendingLeaves, this.hasher)),
      startStateRoot: toHex(this.pendingStart!),
      endStateRoot: toHex(this.lastEnd!),
    });
    this.pendingLeaves = [];
    this.writeManifest();
  }

  manifest(): TraceManifest {
    const { job } = this.opts;
    return {
      format: MANIFEST_FORMAT,
      spec: job.spec,
      nonce: toHex(job.nonce),
      modelId: toHex(job.modelId),
      firstStep: this.opts.firstStep,
      rollupSize: this.opts.rollupSize,
      iterations: [...this.iterations],
      rollups: [...this.rollups],
    };
  }

  private writeManifest(): void {
    const path = join(this.opts.dir, "manifest.json");
    writeFileSync(`${path}.tmp`, JSON.stringify(this.manifest(), null, 1));
    renameSync(`${path}.tmp`, path);
  }

  /** Closes the last (possibly short) rollup and writes the manifest. */
  finish(): TraceManifest {
    this.closeRollup();
    this.writeManifest();
    return this.manifest();
  }
}

/** One iteration file, parsed (tensor data not yet verified: see TraceReader.verifyIteration). */
export interface IterationFile {
  readonly step: number;
  readonly graphRoot: Uint8Array;
  readonly journalRoot: Uint8Array;
  readonly nodeRoots: Uint8Array[];
  readonly journal: JournalEntry[];
  readonly examples: Uint32Array;
  /** which node outputs the file holds (the others are replayed: TRACE_FORMAT.md) */
  readonly stored: readonly boolean[];
  /**
   * node outputs: the stored ones as read, the others recomputed by the engine on first access (a replay, about one
   * training step); `verifyIteration` checks both against the committed tensor roots
   */
  readonly outputs: Float32Array[];
}

/** A proof of one element of one node's output, up to a rollup root. */
export interface ElementProof {
  readonly step: number;
  readonly node: number;
  readonly opening: ElementOpening;
  /** element count of the node's tensor (from the template) */
  readonly tensorLen: number;
  readonly tensorRoot: Uint8Array;
  /** graph tree proof of leaf `node` (leaf data = tensorRoot) */
  readonly graphSiblings: Uint8Array[];
  readonly graphLen: number;
  readonly graphRoot: Uint8Array;
  readonly journalRoot: Uint8Array;
  /** rollup tree proof of leaf step − rollup.firstStep (leaf data = iteration leaf) */
  readonly rollupIndex: number;
  readonly rollupSiblings: Uint8Array[];
  readonly rollupLen: number;
  readonly rollupRoot: Uint8Array;
}

/** Checks a proof against a rollup root; returns the element's float32 bits, or throws naming the broken link. */
export function verifyElementProof(p: ElementProof, expectedRollupRoot: Uint8Array): number {
  const fail = (d: string): never => {
    throw new TraceFormatError(`proof step ${p.step} node ${p.node}`, d);
  };
  const bits = verifyElement(p.tensorRoot, p.tensorLen, p.opening);
  if (bits === null) fail(`element ${p.opening.element} does not open against the tensor root`);
  if (!verifyProof(Kind.Graph, p.graphLen, p.graphRoot, p.node, p.tensorRoot, p.graphSiblings)) fail("tensor root is not leaf `node` of the graph root");
  const leaf = encodeIterationLeaf({ step: BigInt(p.step), graphRoot: p.graphRoot, journalRoot: p.journalRoot });
  if (!equalBytes(p.rollupRoot, expectedRollupRoot)) fail("the proof is for another rollup root");
  if (!verifyProof(Kind.Rollup, p.rollupLen, p.rollupRoot, p.rollupIndex, leaf, p.rollupSiblings)) fail("iteration leaf is not in the rollup");
  return bits!;
}

function hexField(m: Record<string, unknown>, k: string, file: string, len = 32): Uint8Array {
  const v = m[k];
  if (typeof v !== "string") throw new TraceFormatError(file, `field ${k} missing or not a string`);
  try {
    return fromHex(v, len, k);
  } catch (err) {
    throw new TraceFormatError(file, `field ${k}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads a trace directory written by TraceWriter (any process). */
export class TraceReader {
  readonly job: Job;
  readonly manifest: TraceManifest;
  private readonly tHash: Uint8Array;
  private readonly hasher = new FastHasher();
  /** iteration file version of this trace (from the manifest's format) */
  readonly version: number;
  /** each parsed file's stored tensors (null where replayed), for the checks and openings that need no replay */
  private readonly held = new WeakMap<IterationFile, readonly (Float32Array | null)[]>();

  private constructor(
    readonly dir: string,
    manifest: TraceManifest,
  ) {
    const file = join(dir, "manifest.json");
    this.manifest = manifest;
    const version = READABLE_MANIFEST_FORMATS[String(manifest.format)];
    if (version === undefined) throw new TraceFormatError(file, `format is ${String(manifest.format)}, expected one of ${Object.keys(READABLE_MANIFEST_FORMATS).join(", ")}`);
    this.version = version;
    const nonce = hexField(manifest as unknown as Record<string, unknown>, "nonce", file);
    try {
      this.job = makeJob(manifest.spec, nonce);
    } catch (err) {
      throw new TraceFormatError(file, `job spec does not build: ${(err as Error).message}`, { cause: err });
    }
    if (toHex(this.job.modelId) !== manifest.modelId) throw new TraceFormatError(file, `modelId ${manifest.modelId} is not the hash of the spec`);
    if (!Array.isArray(manifest.iterations) || !Array.isArray(manifest.rollups)) throw new TraceFormatError(file, "iterations/rollups missing");
    manifest.iterations.forEach((it, i) => {
      if (it.step !== manifest.firstStep + i) throw new TraceFormatError(file, `iteration ${i} has step ${it.step}, expected ${manifest.firstStep + i}`);
    });
    this.tHash = fromHex(templateHash(this.job.template), 32);
  }

  static open(dir: string): TraceReader {
    const file = join(dir, "manifest.json");
    if (!existsSync(file)) throw new TraceFormatError(file, "missing (not a trace directory?)");
    let m: unknown;
    try {
      m = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new TraceFormatError(file, `not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    if (m === null || typeof m !== "object") throw new TraceFormatError(file, "not a JSON object");
    return new TraceReader(dir, m as TraceManifest);
  }

  get template(): GraphTemplate {
    return this.job.template;
  }

  /** Parses iteration `step`: checks magic, version, sizes, header checksum and that it matches the template. */
  readIteration(step: number): IterationFile {
    const m = this.manifest;
    const idx = step - m.firstStep;
    const entry = m.iterations[idx];
    if (!entry) throw new TraceFormatError(this.dir, `no iteration ${step} (trace holds ${m.firstStep}..${m.firstStep + m.iterations.length - 1})`);
    const path = join(this.dir, entry.file);
    if (!existsSync(path)) throw new TraceFormatError(path, "missing");
    const buf = readFileSync(path);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const fail = (d: string): never => {
      throw new TraceFormatError(path, d);
    };
    if (bytes.length < FIXED_HEADER) fail(`truncated: ${bytes.length} bytes, the fixed header alone is ${FIXED_HEADER}`);
    for (let i = 0; i < 8; i++) if (bytes[i] !== TRACE_MAGIC.charCodeAt(i)) fail(`bad magic (not a refereed iteration file)`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const version = dv.getUint32(8, false);
    if (version !== this.version) fail(`version ${version}, expected ${this.version} (the manifest's format ${m.format})`);
    const t = this.template;
    const N = dv.getUint32(12, false);
    if (N !== t.nodes.length) fail(`${N} nodes, the template has ${t.nodes.length}`);
    const fileStep = Number(dv.getBigUint64(16, false));
    if (fileStep !== step) fail(`holds step ${fileStep}, expected ${step}`);
    const J = dv.getUint32(24, false);
    if (J !== t.dropout.length) fail(`${J} journal entries, the template has ${t.dropout.length} dropout layers`);
    const B = dv.getUint32(28, false);
    if (B !== t.batch) fail(`batch of ${B}, the template has ${t.batch}`);
    const H = headerLength(N, J, B, version);
    if (bytes.length < H + 32) fail(`truncated: ${bytes.length} bytes, the header alone is ${H + 32}`);
    if (!equalBytes(sha256(bytes.subarray(0, H)), bytes.subarray(H, H + 32))) fail("header checksum mismatch (corrupt header)");
    if (!equalBytes(bytes.subarray(32, 64), this.tHash)) fail("written for another graph template");
    const lengths = t.nodes.map((n) => numel(n.shape));
    let o = FIXED_HEADER;
    lengths.forEach((len, i) => {
      const v = dv.getUint32(o + 4 * i, false);
      if (v !== len) fail(`node ${i} has ${v} elements, the template says ${len}`);
    });
    o += 4 * N;
    const stored = t.nodes.map((n, i) => {
      if (version < 2) return true;
      const mode = bytes[o + i]!;
      if (mode !== NodeStorage.Stored && mode !== NodeStorage.Replayed) fail(`node ${i} has storage mode ${mode}, expected ${NodeStorage.Stored} (stored) or ${NodeStorage.Replayed} (replayed)`);
      if (mode === NodeStorage.Replayed && isSourceNode(n)) fail(`node ${i} (${n.name}) is marked replayed but has no inputs to replay it from`);
      return mode === NodeStorage.Stored;
    });
    if (version >= 2) o += N;
    const total = H + 32 + 4 * lengths.reduce((a, len, i) => a + (stored[i] ? len : 0), 0);
    if (bytes.length < total) fail(`truncated: ${bytes.length} bytes, expected ${total}`);
    if (bytes.length > total) fail(`${bytes.length - total} trailing bytes after the tensor data`);
    const nodeRoots: Uint8Array[] = [];
    for (let i = 0; i < N; i++, o += 32) nodeRoots.push(bytes.slice(o, o + 32));
    const journal: JournalEntry[] = [];
    for (let k = 0; k < J; k++, o += JOURNAL_ENTRY_BYTES) journal.push(decodeJournalEntry(bytes.slice(o, o + JOURNAL_ENTRY_BYTES)));
    const examples = new Uint32Array(B);
    for (let j = 0; j < B; j++, o += 4) examples[j] = dv.getUint32(o, false);
    // stored tensors: copied into an aligned buffer (the file buffer's offset need not be a multiple of 4)
    const data = new Uint8Array(total - H - 32);
    data.set(bytes.subarray(H + 32));
    const held: (Float32Array | null)[] = [];
    let d = 0;
    lengths.forEach((len, i) => {
      held.push(stored[i] ? new Float32Array(data.buffer, d, len) : null);
      if (stored[i]) d += 4 * len;
    });
    let outputs: Float32Array[] | null = held.every((x) => x !== null) ? (held as Float32Array[]) : null;
    const replay = () => (outputs ??= this.replay(path, held, journal, nodeRoots));
    const file: IterationFile = {
      step,
      graphRoot: bytes.slice(64, 96),
      journalRoot: bytes.slice(96, 128),
      nodeRoots,
      journal,
      examples,
      stored,
      get outputs() {
        return replay();
      },
    };
    this.held.set(file, held);
    return file;
  }

  /**
   * Node `node`'s output: the stored bytes when the file holds them (no replay), else the replayed (checked) ones.
   * A node outside the template is refused.
   */
  private outputOf(it: IterationFile, node: number): Float32Array {
    if (!Number.isInteger(node) || node < 0 || node >= it.nodeRoots.length) throw new TraceFormatError(this.dir, `node ${node} outside [0, ${it.nodeRoots.length})`);
    return this.held.get(it)?.[node] ?? it.outputs[node]!;
  }

  /**
   * Recomputes the outputs an iteration file does not hold: the engine runs the template from the stored parameters
   * and batch, with each dropout layer's mask drawn from its journal seed (SPEC §5.1), and every stored node's output
   * taking the place of the computed one. Every replayed output is checked against its committed tensor root here, so
   * no caller ever sees a replayed value the trainer did not commit to (stored bytes are checked by verifyIteration
   * and the proofs, as in format 1).
   */
  private replay(path: string, held: readonly (Float32Array | null)[], journal: readonly JournalEntry[], nodeRoots: readonly Uint8Array[]): Float32Array[] {
    const t = this.template;
    const exec = new Executor(t);
    const source = (op: string) => held[t.nodes.find((n) => n.op === op)!.id]!;
    const params: Float32Array[] = [];
    for (const n of t.nodes) if (n.op === "param") params[n.attrs.param!] = held[n.id]!;
    const masks = t.dropout.map((dl, k) => fastKeepMask(journal[k]!.y, { num: dl.num, den: dl.den }, numel(t.nodes[dl.node]!.shape)));
    exec.run({ params, x: source("data_x"), y: source("data_y"), masks }, (n, out) => {
      const h = held[n.id];
      if (h && !isSourceNode(n)) out.set(h);
    });
    for (const n of t.nodes) {
      if (held[n.id] === null && !equalBytes(this.hasher.tensorRoot(exec.outputs[n.id]!), nodeRoots[n.id]!)) {
        throw new TraceFormatError(
          path,
          `node ${n.id} (${n.name}) data does not match its committed tensor root (replayed: the stored inputs, the journal or the engine differ from the trainer's)`,
        );
      }
    }
    return exec.outputs;
  }

  /**
   * Verifies iteration `step` against its commitments: every tensor against its node root, the graph root,
   * the journal root, and the iteration leaf in the manifest. Throws TraceFormatError naming the first mismatch.
   */
  verifyIteration(step: number): IterationFile {
    const it = this.readIteration(step);
    const path = join(this.dir, iterationFileName(step));
    const t = this.template;
    // the header's links first: a replay draws its masks from the journal
    this.checkHeader(it, path);
    // then the stored bytes, then the replay (which checks the replayed outputs itself)
    const held = this.held.get(it)!;
    for (const n of t.nodes) {
      const h = held[n.id];
      if (h && !equalBytes(this.hasher.tensorRoot(h), it.nodeRoots[n.id]!)) {
        throw new TraceFormatError(path, `node ${n.id} (${n.name}) data does not match its committed tensor root (corrupt tensor data)`);
      }
    }
    void it.outputs;
    return it;
  }

  /** The graph root, journal root and iteration leaf of a parsed file against each other and the manifest. */
  private checkHeader(it: IterationFile, path: string): void {
    if (!equalBytes(graphRootOf(this.hasher, it.nodeRoots), it.graphRoot)) throw new TraceFormatError(path, "graph root does not match the node roots");
    if (!equalBytes(journalRootOf(this.hasher, it.journal), it.journalRoot)) throw new TraceFormatError(path, "journal root does not match the journal entries");
    const leaf = toHex(encodeIterationLeaf({ step: BigInt(it.step), graphRoot: it.graphRoot, journalRoot: it.journalRoot }));
    if (leaf !== this.manifest.iterations[it.step - this.manifest.firstStep]!.leaf) throw new TraceFormatError(path, "iteration leaf differs from the manifest");
  }

  /**
   * The node roots of iteration `step`, checked against its graph root and the manifest's iteration leaf: the header
   * alone, no tensor read or replayed.
   */
  iterationRoots(step: number): Uint8Array[] {
    const it = this.readIteration(step);
    this.checkHeader(it, join(this.dir, iterationFileName(step)));
    return it.nodeRoots;
  }

  /** Verifies every iteration, every rollup root and state root, and the state links between iterations. */
  verifyAll(): void {
    const m = this.manifest;
    const t = this.template;
    const file = join(this.dir, "manifest.json");
    let prevUpdates: Uint8Array[] | null = null;
    const roots: { first: Uint8Array[]; last: Uint8Array[] }[] = [];
    for (let i = 0; i < m.iterations.length; i++) {
      const step = m.firstStep + i;
      const it = this.verifyIteration(step);
      const params = t.params.map((p) => it.nodeRoots[p.id]!);
      if (prevUpdates) {
        params.forEach((r, p) => {
          if (!equalBytes(r, prevUpdates![p]!)) throw new TraceFormatError(join(this.dir, iterationFileName(step)), `param ${p} is not the previous iteration's update`);
        });
      }
      prevUpdates = t.updateOf.map((u) => it.nodeRoots[u]!);
      const r = Math.floor(i / m.rollupSize);
      if (i % m.rollupSize === 0) roots[r] = { first: params, last: prevUpdates };
      else roots[r]!.last = prevUpdates;
    }
    const expectedRollups = Math.ceil(m.iterations.length / m.rollupSize);
    if (m.rollups.length !== expectedRollups) throw new TraceFormatError(file, `${m.rollups.length} rollups listed, expected ${expectedRollups}`);
    m.rollups.forEach((ru, r) => {
      const leaves = m.iterations.slice(r * m.rollupSize, (r + 1) * m.rollupSize).map((it) => fromHex(it.leaf, 72));
      if (ru.firstStep !== m.firstStep + r * m.rollupSize || ru.count !== leaves.length) throw new TraceFormatError(file, `rollup ${r} range is wrong`);
      if (toHex(rollupRoot(leaves, this.hasher)) !== ru.root) throw new TraceFormatError(file, `rollup ${r} root does not match its iteration leaves`);
      if (toHex(stateRoot(roots[r]!.first, this.hasher)) !== ru.startStateRoot) throw new TraceFormatError(file, `rollup ${r} start state root mismatch`);
      if (toHex(stateRoot(roots[r]!.last, this.hasher)) !== ru.endStateRoot) throw new TraceFormatError(file, `rollup ${r} end state root mismatch`);
      if (r > 0 && ru.startStateRoot !== m.rollups[r - 1]!.endStateRoot) throw new TraceFormatError(file, `rollup ${r} does not start where rollup ${r - 1} ends`);
    });
  }

  /** The rollup holding `step`. */
  rollupOf(step: number): RollupInfo {
    const m = this.manifest;
    const r = m.rollups[Math.floor((step - m.firstStep) / m.rollupSize)];
    if (!r || step < r.firstStep || step >= r.firstStep + r.count) throw new TraceFormatError(this.dir, `no finished rollup holds step ${step}`);
    return r;
  }

  /** Serves a proof of element `element` of node `node` in iteration `step`, up to the rollup root. */
  proveElement(step: number, node: number, element: number): ElementProof {
    const it = this.readIteration(step);
    const tensor = this.outputOf(it, node);
    const tree = tensorTree(tensor);
    if (!equalBytes(tree.root, it.nodeRoots[node]!)) throw new TraceFormatError(join(this.dir, iterationFileName(step)), `node ${node} data does not match its committed tensor root`);
    const graph = new MerkleTree(Kind.Graph, it.nodeRoots.length, packLeafHashes(it.nodeRoots));
    const ru = this.rollupOf(step);
    const leaves = this.manifest.iterations.slice(ru.firstStep - this.manifest.firstStep, ru.firstStep - this.manifest.firstStep + ru.count).map((x) => fromHex(x.leaf, 72));
    const rollup = new MerkleTree(Kind.Rollup, leaves.length, packLeafHashes(leaves));
    return {
      step,
      node,
      opening: openElement(tensor, tree, element),
      tensorLen: tensor.length,
      tensorRoot: it.nodeRoots[node]!,
      graphSiblings: graph.proof(node).siblings,
      graphLen: it.nodeRoots.length,
      graphRoot: graph.root,
      journalRoot: it.journalRoot,
      rollupIndex: step - ru.firstStep,
      rollupSiblings: rollup.proof(step - ru.firstStep).siblings,
      rollupLen: leaves.length,
      rollupRoot: rollup.root,
    };
  }

  /** A contiguous element range [start, end) of a node's output with its chunk multiproof (SPEC §2.3). */
  openRange(step: number, node: number, start: number, end: number): RangeOpening & { tensorRoot: Uint8Array; tensorLen: number } {
    const it = this.readIteration(step);
    const tensor = this.outputOf(it, node);
    return { ...openRange(tensor, tensorTree(tensor), start, end), tensorRoot: it.nodeRoots[node]!, tensorLen: tensor.length };
  }

  /** Size in bytes of all iteration files. */
  bytesOnDisk(): number {
    return this.manifest.iterations.reduce((s, it) => s + statSync(join(this.dir, it.file)).size, 0);
  }
}

function packLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(32 * leaves.length);
  leaves.forEach((l, i) => out.set(leafHash(l), 32 * i));
  return out;
}
