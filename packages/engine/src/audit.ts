/**
 * The auditor's side: check a trace node by node, element by element, against the trainer's OWN committed
 * inputs (never against the auditor's recomputation), with the tolerance rules of docs/SPEC.md §5–§7. The
 * first element that is not acceptable is reported with what a one-step proof needs: the op, the element,
 * the input ranges it reads (contiguous rows by construction of the template), the journal entry or the link
 * (previous update, dataset example).
 *
 * Speed: every element is first decided with binary64 arithmetic and sound error margins; only elements
 * within a hair of their bound fall back to the exact integer rules of `@refereed/core` (checkDot,
 * checkElementwise). For softmax / loss (§6.4) the undecided zone (relative 2^-40 of the bound) is decided in
 * the trainer's favour, as the SPEC allows.
 *
 * Journal checks per dropout layer: x is recomputed from job fields; for the BLS scheme pi must verify under
 * the job's VRF key (batched: one pairing check per 64 proofs, see vrfbatch.ts; a failure is reported at its
 * own step and node even though it is found later); for the insecure hash scheme nothing can be verified and
 * only y = H(pi) is checked;
 * y = SHA256(pi); n; maskHash and qHash recomputed from the PRG mask and the committed dropout input.
 */
import {
  bitsOf,
  checkDot,
  checkSoftmax,
  checkXentLoss,
  checkElementwise,
  decode,
  equalBytes,
  fromHex,
  maskBit,
  sha256,
  toHex,
  vrfContext,
  type JournalEntry,
} from "@refereed/core";
import type { Dataset } from "./dataset.js";
import { detExp, detLog } from "./detmath.js";
import { dotWithAbs } from "./kernels.js";
import { EngineError } from "./errors.js";
import type { GraphNode, GraphTemplate } from "./graph.js";
import { numel } from "./graph.js";
import { initState } from "./init.js";
import type { Job } from "./job.js";
import { BatchSchedule } from "./schedule.js";
import type { TraceReader } from "./trace.js";
import { fastKeepMask, journalHashes } from "./vdo.js";
import { datasetRoot } from "./commit.js";
import { vrfVerifyBatch, type VrfClaim } from "./vrfbatch.js";

/** What the audit reads: the committed values of each iteration. */
export interface AuditSource {
  readonly job: Job;
  readonly firstStep: number;
  readonly count: number;
  /** node outputs, journal and batch ids of `step`, already checked against their roots (and those roots, if known) */
  iteration(step: number): { outputs: Float32Array[]; journal: JournalEntry[]; nodeRoots?: readonly Uint8Array[] };
  /**
   * optional: the node roots of `step`, checked as far as `iteration` checks its outputs, without reading the tensors.
   * A step audited without its predecessor then takes the parameter links from the roots when they agree (below).
   */
  roots?(step: number): readonly Uint8Array[];
}

/** A TraceReader as an audit source (each iteration is verified against its roots when read). */
export function traceSource(reader: TraceReader, opts: { verifyRoots?: boolean } = {}): AuditSource {
  const verify = opts.verifyRoots !== false;
  return {
    job: reader.job,
    firstStep: reader.manifest.firstStep,
    count: reader.manifest.iterations.length,
    iteration: (step) => (verify ? reader.verifyIteration(step) : reader.readIteration(step)),
    roots: (step) => (verify ? reader.iterationRoots(step) : reader.readIteration(step).nodeRoots),
  };
}

export type ViolationReason = "non-finite" | "out-of-bound" | "mask" | "journal" | "link" | "data";

export interface InputRange {
  /** producer node id (same iteration unless `iteration` says otherwise) */
  readonly node: number;
  readonly start: number;
  readonly end: number;
  /** "previous" for the PARAM link to the previous iteration's update node */
  readonly iteration?: "same" | "previous";
}

/** Everything the one-step check of the element needs besides Merkle proofs (which the trace serves). */
export interface OneStepWitness {
  readonly step: number;
  readonly node: number;
  readonly nodeName: string;
  readonly op: GraphNode["op"];
  readonly element: number;
  readonly claimedBits: number;
  readonly inputs: readonly InputRange[];
  /** dropout: the journal ordinal of the layer */
  readonly journalOrdinal?: number;
  /** DATA: the example id the schedule names */
  readonly exampleId?: number;
}

export interface Violation extends OneStepWitness {
  readonly reason: ViolationReason;
  readonly detail: string;
}

export type AuditResult =
  | { readonly ok: true; readonly iterations: number; readonly elements: number; readonly exactFallbacks: number }
  | { readonly ok: false; readonly violation: Violation; readonly iterations: number; readonly elements: number; readonly exactFallbacks: number };

export interface AuditOptions {
  /** the training set (must hash to the job's dataset root) */
  readonly data: Dataset;
  /** audit only these steps (default: all); PARAM links then read the previous iteration from the source */
  readonly steps?: readonly number[];
  /** skip the dataset-root check (when the caller already did it) */
  readonly datasetChecked?: boolean;
}

export class AuditError extends EngineError {
  constructor(detail: string) {
    super(`audit: ${detail}`);
    this.name = "AuditError";
  }
}

const U = 2 ** -24;
const U64 = 2 ** -53;
const TINY = 2 ** -126;
const SLACK = 1e-9;

/** 1 = accept, 0 = reject, −1 = too close to call in binary64. */
function dotDecide(c: number, rhat: number, Shat: number, K: number): 1 | 0 | -1 {
  const g = (K * U) / (1 - K * U);
  const g64 = (K * U64) / (1 - K * U64);
  const err = 1.0001 * g64 * Shat;
  const d = Math.abs(c - rhat);
  const abs = K * TINY;
  if (d * (1 + 1e-15) + err <= g * Shat * (1 - SLACK) + abs * (1 - SLACK)) return 1;
  if (d * (1 - 1e-15) - err > g * Shat * (1 + SLACK) + abs * (1 + SLACK)) return 0;
  return -1;
}

/** Elementwise rule |c − r| <= rel·|r| + 2^-126 with r known to relative error delta. */
function ewDecide(c: number, rhat: number, rel: number, delta: number): 1 | 0 | -1 {
  const d = Math.abs(c - rhat);
  const e = 1.0001 * delta * Math.abs(rhat);
  const a = Math.abs(rhat);
  if (d * (1 + 1e-15) + e <= rel * a * (1 - SLACK) + TINY * (1 - SLACK)) return 1;
  if (d * (1 - 1e-15) - e > rel * a * (1 + SLACK) + TINY * (1 + SLACK)) return 0;
  return -1;
}

const ONE_BITS = 0x3f800000;
const absB = (v: bigint) => (v < 0n ? -v : v);

/** Exact elementwise rule for xent_grad: r = (p − t)/B, accept iff |c − r| <= 2^-23|r| + 2^-126. */
function exactXentGrad(pBits: number, t: number, B: number, cBits: number): boolean {
  const p = decode(pBits);
  const c = decode(cBits);
  const e = Math.min(p.e, c.e, -126 - 23, 0);
  const P = (p.m << BigInt(p.e - e)) - (t ? 1n << BigInt(-e) : 0n); // (p − t) at scale 2^e
  const C = c.m << BigInt(c.e - e);
  const Bb = BigInt(B);
  // |B·c − (p − t)|·2^23 <= |p − t| + B·2^23·2^-126   (everything ·2^-e, multiplied by B and 2^23)
  return absB(Bb * C - P) << 23n <= absB(P) + (Bb << BigInt(23 - 126 - e));
}

interface Ctx {
  readonly t: GraphTemplate;
  readonly job: Job;
  readonly step: number;
  readonly outputs: Float32Array[];
  readonly journal: JournalEntry[];
  readonly prevUpdates: Float32Array[] | null;
  readonly examples: Uint32Array;
  readonly data: Dataset;
  readonly batchId: number;
  fallbacks: number;
  readonly pendingVrf: PendingVrf[];
}

interface PendingVrf {
  readonly step: number;
  readonly node: number;
  readonly ordinal: number;
  readonly claim: VrfClaim;
  /** bits of element 0 of the dropout node (the element a journal violation is reported at) */
  readonly claimedBits: number;
}

/** Batch-verifies the pending VRF proofs; returns the first failing one as a violation. */
function flushVrf(job: Job, pending: PendingVrf[]): Violation | null {
  if (pending.length === 0) return null;
  const batch = pending.splice(0);
  const r = vrfVerifyBatch(fromHex(job.spec.vrfKey, 256, "vrfKey"), batch.map((p) => p.claim));
  if (r.valid) return null;
  const p = batch[r.index]!;
  const n = job.template.nodes[p.node]!;
  return {
    step: p.step,
    node: p.node,
    nodeName: n.name,
    op: n.op,
    element: 0,
    claimedBits: p.claimedBits,
    inputs: [],
    journalOrdinal: p.ordinal,
    reason: "journal",
    detail: `VRF proof does not verify: ${r.reason}`,
  };
}

type Found = { element: number; reason: ViolationReason; detail: string; inputs: InputRange[]; journalOrdinal?: number; exampleId?: number } | null;

function rowRange(node: number, row: number, width: number): InputRange {
  return { node, start: row * width, end: (row + 1) * width };
}

function nonFiniteIn(a: Float32Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!Number.isFinite(a[i]!)) return true;
  return false;
}

/** The input ranges of dot-product element (m, j): row m of input 0, row j of input 1, bias element j. */
function dotInputs(n: GraphNode, m: number, j: number, K: number): InputRange[] {
  const r: InputRange[] = [rowRange(n.inputs[0]!, m, K)];
  if (n.op !== "row_sum") r.push(rowRange(n.inputs[1]!, j, K));
  if (n.op === "linear") r.push({ node: n.inputs[2]!, start: j, end: j + 1 });
  return r;
}

/** Same-index input elements of an elementwise op. */
function sameIndexInputs(n: GraphNode, e: number): InputRange[] {
  return n.inputs.map((node) => ({ node, start: e, end: e + 1 }));
}

function checkDotNode(ctx: Ctx, n: GraphNode): Found {
  const o = ctx.outputs;
  const out = o[n.id]!;
  const aNode = ctx.t.nodes[n.inputs[0]!]!;
  const a = o[aNode.id]!;
  const M = n.shape[0]!;
  const N = n.shape[1] ?? 1;
  let K: number;
  let b: Float32Array | null = null;
  let bias: Float32Array | null = null;
  if (n.op === "row_sum") K = aNode.shape[1]!;
  else {
    K = aNode.shape[1]!;
    b = o[n.inputs[1]!]!;
    if (n.op === "linear") bias = o[n.inputs[2]!]!;
  }
  const terms = K + (bias ? 1 : 0);
  const sAll = new Float64Array(M * N);
  const SAll = new Float64Array(M * N);
  dotWithAbs(a, M, K, b, N, sAll, SAll);
  for (let m = 0; m < M; m++) {
    const a0 = m * K;
    for (let j = 0; j < N; j++) {
      let s = sAll[m * N + j]!;
      let S = SAll[m * N + j]!;
      if (bias) {
        s += bias[j]!;
        S += Math.abs(bias[j]!);
      }
      const e = m * N + j;
      const c = out[e]!;
      if (!Number.isFinite(c) || !Number.isFinite(s) || !Number.isFinite(S)) {
        if (!Number.isFinite(c) || nonFiniteIn(a, a0, a0 + K) || (b && nonFiniteIn(b, j * K, (j + 1) * K)) || (bias && !Number.isFinite(bias[j]!))) {
          return { element: e, reason: "non-finite", detail: `a value of the dot product (output or inputs) is NaN or Inf`, inputs: dotInputs(n, m, j, K) };
        }
      }
      let v = dotDecide(c, s, S, terms);
      if (v === -1) {
        ctx.fallbacks++;
        const av: number[] = [];
        const bv: number[] = [];
        for (let k = 0; k < K; k++) {
          av.push(bitsOf(a[a0 + k]!));
          bv.push(b ? bitsOf(b[j * K + k]!) : ONE_BITS);
        }
        if (bias) {
          av.push(bitsOf(bias[j]!));
          bv.push(ONE_BITS);
        }
        v = checkDot(av, bv, bitsOf(c)).ok ? 1 : 0;
      }
      if (v === 0) return { element: e, reason: "out-of-bound", detail: `${n.op} (${terms} terms): claimed ${c}, binary64 reference ${s}, outside γ_K·Σ|a·b|`, inputs: dotInputs(n, m, j, K) };
    }
  }
  return null;
}

/** sgd (w − lr·g) and momentum (mu·v + g): two-term dot products. */
function checkUpdateNode(ctx: Ctx, n: GraphNode): Found {
  const o = ctx.outputs;
  const out = o[n.id]!;
  const x = o[n.inputs[0]!]!;
  const g = o[n.inputs[1]!]!;
  const sgd = n.op === "sgd";
  const coef = sgd ? -n.attrs.lr! : n.attrs.mu!;
  for (let e = 0; e < out.length; e++) {
    const c = out[e]!;
    const xv = x[e]!;
    const gv = g[e]!;
    if (!Number.isFinite(c) || !Number.isFinite(xv) || !Number.isFinite(gv)) return { element: e, reason: "non-finite", detail: "NaN or Inf in an update", inputs: sameIndexInputs(n, e) };
    const p1 = sgd ? xv : coef * xv;
    const p2 = sgd ? coef * gv : gv;
    let v = dotDecide(c, p1 + p2, Math.abs(p1) + Math.abs(p2), 2);
    if (v === -1) {
      ctx.fallbacks++;
      const a = sgd ? [bitsOf(xv), bitsOf(gv)] : [bitsOf(xv), bitsOf(gv)];
      const b = sgd ? [ONE_BITS, bitsOf(coef)] : [bitsOf(coef), ONE_BITS];
      v = checkDot(a, b, bitsOf(c)).ok ? 1 : 0;
    }
    if (v === 0) return { element: e, reason: "out-of-bound", detail: `${n.op}: claimed ${c}, reference ${p1 + p2}`, inputs: sameIndexInputs(n, e) };
  }
  return null;
}

/** Ops whose exact result is one of the input values (or 0): transpose, relu, relu_bwd. */
function checkCopyNode(ctx: Ctx, n: GraphNode): Found {
  const o = ctx.outputs;
  const out = o[n.id]!;
  const a = o[n.inputs[0]!]!;
  const R = n.shape[0]!;
  const C = n.shape[1] ?? 1;
  for (let e = 0; e < out.length; e++) {
    const c = out[e]!;
    let src = e;
    let r: number;
    let z = 0;
    if (n.op === "transpose") {
      const i = Math.floor(e / C);
      const j = e % C;
      src = j * R + i;
      r = a[src]!;
    } else if (n.op === "relu") {
      r = a[e]! > 0 ? a[e]! : 0;
    } else {
      z = o[n.inputs[1]!]![e]!;
      r = z > 0 ? a[e]! : 0;
    }
    if (c === r && Number.isFinite(c) && Number.isFinite(z)) continue; // includes ±0 against ±0
    const inputs: InputRange[] = [{ node: n.inputs[0]!, start: src, end: src + 1 }];
    if (n.op === "relu_bwd") inputs.push({ node: n.inputs[1]!, start: e, end: e + 1 });
    if (!Number.isFinite(c) || !Number.isFinite(a[src]!) || !Number.isFinite(z)) return { element: e, reason: "non-finite", detail: "NaN or Inf in a copied value", inputs };
    ctx.fallbacks++;
    if (!checkElementwise({ op: "copy", inputs: [bitsOf(r)] }, bitsOf(c)).ok) {
      return { element: e, reason: "out-of-bound", detail: `${n.op}: claimed ${c}, exact value ${r}`, inputs };
    }
  }
  return null;
}

function checkJournal(ctx: Ctx, ordinal: number, x: Float32Array, mask: Uint8Array): string | null {
  const d = ctx.t.dropout[ordinal]!;
  const entry = ctx.journal[ordinal];
  if (!entry) return `journal entry ${ordinal} missing`;
  const { job } = ctx;
  if (entry.layerId !== d.layer) return `layerId ${entry.layerId}, the template's layer is ${d.layer}`;
  const xCtx = vrfContext({ modelId: job.modelId, step: ctx.step, batchId: ctx.batchId, nonce: job.nonce, layerId: d.layer });
  if (!equalBytes(entry.x, xCtx)) return `context x ${toHex(entry.x)} is not the one computed from the job fields (${toHex(xCtx)})`;
  if (!equalBytes(entry.y, sha256(entry.pi))) return "y is not SHA256(pi)";
  // the BLS proof itself is verified in batches (vrfbatch.ts); a failure is reported at this node
  if (job.spec.seedScheme === "bls12-381") ctx.pendingVrf.push({ step: ctx.step, node: d.node, ordinal, claim: { x: entry.x, pi: entry.pi }, claimedBits: bitsOf(ctx.outputs[d.node]![0]!) });
  if (entry.n !== x.length) return `n = ${entry.n}, the dropout tensor has ${x.length} elements`;
  let h;
  try {
    h = journalHashes(x, mask, { num: d.num, den: d.den });
  } catch (err) {
    return `VDO fields cannot be computed from the committed input: ${(err as Error).message}`;
  }
  if (!equalBytes(h.maskHash, entry.maskHash)) return "maskHash is not the hash of the PRG mask of y";
  if (!equalBytes(h.qHash, entry.qHash)) return "qHash does not match the committed dropout input";
  return null;
}

function checkDropoutNode(ctx: Ctx, n: GraphNode, masks: Map<number, Uint8Array>): Found {
  const o = ctx.outputs;
  const out = o[n.id]!;
  const x = o[n.inputs[0]!]!;
  const ordinal = ctx.t.dropout.findIndex((d) => d.layer === n.attrs.layer);
  const d = ctx.t.dropout[ordinal]!;
  const entry = ctx.journal[ordinal];
  let mask = masks.get(ordinal);
  if (!mask) {
    if (!entry) return { element: 0, reason: "journal", detail: `journal entry ${ordinal} missing`, inputs: [], journalOrdinal: ordinal };
    mask = fastKeepMask(entry.y, { num: d.num, den: d.den }, out.length);
    masks.set(ordinal, mask);
  }
  if (n.op === "dropout") {
    // the journal is checked once per layer, with the forward node (its input is the VDO x)
    let firstNonFinite = -1;
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) { firstNonFinite = i; break; }
    if (firstNonFinite < 0) {
      const bad = checkJournal(ctx, ordinal, x, mask);
      if (bad) return { element: 0, reason: "journal", detail: bad, inputs: [], journalOrdinal: ordinal };
    }
  }
  const s = d.den / (d.den - d.num);
  for (let e = 0; e < out.length; e++) {
    const c = out[e]!;
    if (!Number.isFinite(c) || !Number.isFinite(x[e]!)) return { element: e, reason: "non-finite", detail: "NaN or Inf at a dropout element", inputs: sameIndexInputs(n, e), journalOrdinal: ordinal };
    if (!mask[e]) {
      if (c !== 0) return { element: e, reason: "mask", detail: `element ${e} is dropped by the PRG mask of y but holds ${c}`, inputs: sameIndexInputs(n, e), journalOrdinal: ordinal };
      continue;
    }
    let v = ewDecide(c, x[e]! * s, 2 ** -23, 2 ** -52);
    if (v === -1) {
      ctx.fallbacks++;
      v = checkElementwise({ op: "dropoutKeep", inputs: [bitsOf(x[e]!)], num: d.num, den: d.den }, bitsOf(c)).ok ? 1 : 0;
    }
    if (v === 0) {
      const why = c === 0 && x[e] !== 0 ? "kept by the PRG mask of y but zero" : `claimed ${c}, exact ${x[e]}·${d.den}/${d.den - d.num}`;
      return { element: e, reason: c === 0 ? "mask" : "out-of-bound", detail: why, inputs: sameIndexInputs(n, e), journalOrdinal: ordinal };
    }
  }
  // a mask chosen by the trainer shows as a journal maskHash mismatch (forward) or as bad elements; also cross-check
  // that the sampled bit matches core's reference PRG for one element (guards the fast mask against drift)
  if (out.length > 0 && entry && mask[0] !== (maskBit(entry.y, d, 0) ? 1 : 0)) throw new AuditError("internal: fast mask differs from core's PRG");
  return null;
}

function rowBits(z: Float32Array, base: number, C: number): number[] {
  return Array.from(new Uint32Array(z.buffer, z.byteOffset + 4 * base, C));
}

function checkSoftmaxNode(ctx: Ctx, n: GraphNode): Found {
  const o = ctx.outputs;
  const out = o[n.id]!;
  const z = o[n.inputs[0]!]!;
  const zShape = ctx.t.nodes[n.inputs[0]!]!.shape;
  const B = zShape[0]!;
  const C = zShape[1]!;
  const isLoss = n.op === "xent_loss";
  const labels = isLoss ? o[n.inputs[1]!]! : null;
  for (let b = 0; b < B; b++) {
    const base = b * C;
    const inputs: InputRange[] = [rowRange(n.inputs[0]!, b, C)];
    if (labels) inputs.push({ node: n.inputs[1]!, start: b, end: b + 1 });
    if (nonFiniteIn(z, base, base + C)) return { element: isLoss ? b : base, reason: "non-finite", detail: "NaN or Inf logits", inputs };
    let m = z[base]!;
    for (let j = 1; j < C; j++) if (z[base + j]! > m) m = z[base + j]!;
    let S = 0;
    for (let j = 0; j < C; j++) S += detExp(z[base + j]! - m);
    if (labels) {
      const y = labels[b]!;
      if (!(Number.isInteger(y) && y >= 0 && y < C)) return { element: b, reason: "data", detail: `label ${y} is not a class in [0, ${C})`, inputs };
      const dy = z[base + y]! - m;
      const c = out[b]!;
      if (!Number.isFinite(c)) return { element: b, reason: "non-finite", detail: "NaN or Inf loss", inputs };
      const lg = detLog(S);
      const r = lg - dy;
      const bound = 2 ** -20 * (lg + Math.abs(dy)) + TINY;
      const err = 1e-12 * (lg + Math.abs(dy)) + 1e-300;
      // fast screen with the binary64 bound; a flagged value is confirmed by the exact rule of SPEC §6.4
      // (core's fixed-point twin of the contract), which is wider for float32-only implementations
      if (Math.abs(c - r) > bound + err && !checkXentLoss(rowBits(z, base, C), bitsOf(y), bitsOf(c)).ok) {
        return { element: b, reason: "out-of-bound", detail: `xent_loss: claimed ${c}, reference ${r}`, inputs };
      }
    } else {
      for (let j = 0; j < C; j++) {
        const c = out[base + j]!;
        if (!Number.isFinite(c)) return { element: base + j, reason: "non-finite", detail: "NaN or Inf probability", inputs };
        const r = detExp(z[base + j]! - m) / S;
        if (ewDecide(c, r, 2 ** -20, 2 ** -45) === 0 && !checkSoftmax(rowBits(z, base, C), j, bitsOf(c)).ok) {
          return { element: base + j, reason: "out-of-bound", detail: `softmax: claimed ${c}, reference ${r}`, inputs };
        }
      }
    }
  }
  return null;
}

function checkXentGradNode(ctx: Ctx, n: GraphNode): Found {
  const o = ctx.outputs;
  const out = o[n.id]!;
  const p = o[n.inputs[0]!]!;
  const labels = o[n.inputs[1]!]!;
  const B = n.shape[0]!;
  const C = n.shape[1]!;
  for (let e = 0; e < out.length; e++) {
    const b = Math.floor(e / C);
    const j = e % C;
    const inputs: InputRange[] = [
      { node: n.inputs[0]!, start: e, end: e + 1 },
      { node: n.inputs[1]!, start: b, end: b + 1 },
    ];
    const y = labels[b]!;
    if (!(Number.isInteger(y) && y >= 0 && y < C)) return { element: e, reason: "data", detail: `label ${y} is not a class`, inputs };
    const c = out[e]!;
    if (!Number.isFinite(c) || !Number.isFinite(p[e]!)) return { element: e, reason: "non-finite", detail: "NaN or Inf", inputs };
    const t = j === y ? 1 : 0;
    let v = ewDecide(c, (p[e]! - t) / B, 2 ** -23, 2 ** -51);
    if (v === -1) {
      ctx.fallbacks++;
      v = exactXentGrad(bitsOf(p[e]!), t, B, bitsOf(c)) ? 1 : 0;
    }
    if (v === 0) return { element: e, reason: "out-of-bound", detail: `xent_grad: claimed ${c}, reference ${(p[e]! - t) / B}`, inputs };
  }
  return null;
}

function checkSourceNode(ctx: Ctx, n: GraphNode): Found {
  const out = ctx.outputs[n.id]!;
  if (n.op === "param") {
    if (!ctx.prevUpdates) return null;
    const prev = ctx.prevUpdates[n.attrs.param!]!;
    for (let e = 0; e < out.length; e++) {
      if (!Number.isFinite(out[e]!)) return { element: e, reason: "non-finite", detail: "NaN or Inf parameter", inputs: [] };
      if (bitsOf(out[e]!) !== bitsOf(prev[e]!)) {
        return { element: e, reason: "link", detail: `param ${n.name}[${e}] = ${out[e]} is not the previous update ${prev[e]}`, inputs: [{ node: ctx.t.updateOf[n.attrs.param!]!, start: e, end: e + 1, iteration: "previous" }] };
      }
    }
    return null;
  }
  const D = ctx.data.dim;
  for (let e = 0; e < out.length; e++) {
    const j = n.op === "data_x" ? Math.floor(e / D) : e;
    const id = ctx.examples[j]!;
    const expected = n.op === "data_x" ? ctx.data.pixels[id * D + (e % D)]! : ctx.data.labels[id]!;
    if (bitsOf(out[e]!) !== bitsOf(expected)) {
      return { element: e, reason: "data", detail: `batch row ${j} should be example ${id} of the dataset (schedule), value differs`, inputs: [], exampleId: id };
    }
  }
  return null;
}

/** Audits the given steps (default all) of a source; stops at the first violation. */
export function audit(src: AuditSource, opts: AuditOptions): AuditResult {
  const { job } = src;
  const t = job.template;
  if (!opts.datasetChecked && toHex(datasetRoot(opts.data)) !== job.spec.datasetRoot) {
    throw new AuditError(`the dataset does not hash to the job's dataset root ${job.spec.datasetRoot}`);
  }
  const schedule = new BatchSchedule({ nonce: job.nonce, n: opts.data.n, batch: t.batch });
  const steps = opts.steps ?? Array.from({ length: src.count }, (_, i) => src.firstStep + i);
  let iterations = 0;
  let elements = 0;
  const ctxFallbacks = { n: 0 };
  let prevStep = -2;
  let prevUpdates: Float32Array[] | null = null;
  const pendingVrf: PendingVrf[] = [];
  const vrfFailure = (v: Violation): AuditResult => ({ ok: false, iterations, elements, exactFallbacks: ctxFallbacks.n, violation: v });
  for (const step of steps) {
    if (step < src.firstStep || step >= src.firstStep + src.count) throw new AuditError(`step ${step} is not in the source (${src.firstStep}..${src.firstStep + src.count - 1})`);
    const it = src.iteration(step);
    if (step !== prevStep + 1) {
      if (step === 0) prevUpdates = initState(t, fromHex(job.spec.initSeed, 32));
      else if (step > src.firstStep) {
        // Each read of an honest format-2 iteration replays it. When the previous iteration's update roots equal this
        // one's parameter roots, the committed tensors are equal (and this iteration's are checked against their
        // roots), so the link holds element by element and the predecessor's outputs need not be read. Otherwise they
        // are read, once, and the link check below names the first element that differs.
        const before = src.roots?.(step - 1);
        const now = it.nodeRoots;
        if (before && now && t.updateOf.every((u, k) => equalBytes(before[u]!, now[t.params[k]!.id]!))) {
          prevUpdates = t.params.map((p) => it.outputs[p.id]!);
        } else {
          const prev = src.iteration(step - 1).outputs;
          prevUpdates = t.updateOf.map((u) => prev[u]!);
        }
      }
      else prevUpdates = null; // the first step of a trace that starts later links to the previous rollup on chain
    }
    const ctx: Ctx = {
      t,
      job,
      step,
      outputs: it.outputs,
      journal: it.journal,
      prevUpdates,
      examples: schedule.examples(step),
      data: opts.data,
      batchId: step % schedule.stepsPerEpoch,
      fallbacks: 0,
      pendingVrf,
    };
    const masks = new Map<number, Uint8Array>();
    for (const n of t.nodes) {
      let f: Found;
      switch (n.op) {
        case "param":
        case "data_x":
        case "data_y":
          f = checkSourceNode(ctx, n);
          break;
        case "linear":
        case "matmul_nt":
        case "row_sum":
          f = checkDotNode(ctx, n);
          break;
        case "sgd":
        case "momentum":
          f = checkUpdateNode(ctx, n);
          break;
        case "transpose":
        case "relu":
        case "relu_bwd":
          f = checkCopyNode(ctx, n);
          break;
        case "dropout":
        case "dropout_bwd":
          f = checkDropoutNode(ctx, n, masks);
          break;
        case "softmax":
        case "xent_loss":
          f = checkSoftmaxNode(ctx, n);
          break;
        case "xent_grad":
          f = checkXentGradNode(ctx, n);
          break;
      }
      ctxFallbacks.n += ctx.fallbacks;
      ctx.fallbacks = 0;
      if (f) {
        // a VRF proof of an earlier (step, node) that fails comes first
        const early = flushVrf(job, pendingVrf);
        if (early && (early.step < step || (early.step === step && early.node <= n.id))) return vrfFailure(early);
        const out = it.outputs[n.id]!;
        return {
          ok: false,
          iterations,
          elements: elements + f.element,
          exactFallbacks: ctxFallbacks.n,
          violation: {
            step,
            node: n.id,
            nodeName: n.name,
            op: n.op,
            element: f.element,
            claimedBits: f.element < out.length ? bitsOf(out[f.element]!) : 0,
            inputs: f.inputs,
            journalOrdinal: f.journalOrdinal,
            exampleId: f.exampleId,
            reason: f.reason,
            detail: f.detail,
          },
        };
      }
      elements += numel(n.shape);
    }
    iterations++;
    prevStep = step;
    prevUpdates = t.updateOf.map((u) => it.outputs[u]!);
    if (pendingVrf.length >= 64) {
      const v = flushVrf(job, pendingVrf);
      if (v) return vrfFailure(v);
    }
  }
  const v = flushVrf(job, pendingVrf);
  if (v) return vrfFailure(v);
  return { ok: true, iterations, elements, exactFallbacks: ctxFallbacks.n };
}

/** Steps chosen for a sampled audit: k = ceil(f·n) of them, from SHA-256 of the auditor's secret and a label
 * (e.g. the rollup root), unpredictable to the trainer before the rollup is committed. */
export function sampleSteps(firstStep: number, count: number, fraction: number, secret: Uint8Array, label: Uint8Array): number[] {
  if (!(fraction > 0 && fraction <= 1)) throw new AuditError(`fraction ${fraction} outside (0, 1]`);
  const k = Math.ceil(fraction * count);
  const idx = Array.from({ length: count }, (_, i) => i);
  // Fisher–Yates driven by SHA-256(secret || label || u32 counter)
  const msg = new Uint8Array(secret.length + label.length + 4);
  msg.set(secret, 0);
  msg.set(label, secret.length);
  const dv = new DataView(msg.buffer);
  for (let i = 0; i < k; i++) {
    dv.setUint32(secret.length + label.length, i, false);
    const h = sha256(msg);
    const r = new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0, false);
    const j = i + Number(r % BigInt(count - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, k)
    .sort((a, b) => a - b)
    .map((i) => firstStep + i);
}

/** Probability that a sample of k of n iterations contains at least one of m bad iterations. */
export function detectionProbability(n: number, k: number, m: number): number {
  if (m <= 0) return 0;
  if (k + m > n) return 1;
  let miss = 1;
  for (let i = 0; i < k; i++) miss *= (n - m - i) / (n - i);
  return 1 - miss;
}

export interface SampledAuditResult {
  readonly result: AuditResult;
  readonly steps: number[];
  /** detection probability of a cheat confined to one iteration */
  readonly detectionProbabilitySingle: number;
}

export function sampledAudit(src: AuditSource, opts: AuditOptions & { fraction: number; secret: Uint8Array; label: Uint8Array }): SampledAuditResult {
  const steps = sampleSteps(src.firstStep, src.count, opts.fraction, opts.secret, opts.label);
  return { result: audit(src, { ...opts, steps }), steps, detectionProbabilitySingle: detectionProbability(src.count, steps.length, 1) };
}

/** Merkle material for a violation: the claimed element's proof and a range opening of each input range. */
export function violationProofs(reader: TraceReader, v: Violation) {
  return {
    claimed: reader.proveElement(v.step, v.node, v.element),
    inputs: v.inputs.map((r) => ({ range: r, opening: reader.openRange(r.iteration === "previous" ? v.step - 1 : v.step, r.node, r.start, r.end) })),
  };
}
