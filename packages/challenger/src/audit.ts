/**
 * The challenger's trace side (op-challenger's `trace/`): fetch a rollup's trace through the integrity-checked
 * TraceClient, check that it is the trace of the on-chain claim, audit it (full or sampled), and turn a violation
 * into a target leaf that the one-step verifier — called with the exact context the game would establish — judges
 * invalid. Nothing unverified is ever used:
 *
 * - the trace index is named by the hash in the rollup's URI; every object (manifest, iteration file) is checked
 *   against its hash by the client (TraceIntegrityError otherwise: the bytes are discarded);
 * - the manifest must be the job's spec (its hash is on chain), with the job's nonce and the trainer's key, and its
 *   iteration leaves must fold to the on-chain rollup root; the start and end states must be the claim's;
 * - each iteration file used is verified against its leaf (TraceReader.verifyIteration: tensor data → node roots →
 *   graph root → leaf);
 * - an iteration that fails any of these is reported (`unverified`) and NOT audited: the challenger audits only what
 *   verifies. A corrupted trace therefore never leads to a game; a fraud hidden only in data the trainer serves
 *   corrupted is not found by this challenger (the trainer must still reveal consistent data in any game, and other
 *   challengers with other samples may find it). See README "Corrupted traces".
 */
import { mkdirSync, existsSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { BaseError, HttpRequestError, TimeoutError, keccak256, type Hex } from "viem";
import { bitsOf, checkDropoutElement, fromHex, stateTree, toHex, Kind, buildTree } from "@refereed/core";
import {
  TraceFormatError,
  TraceReader,
  auditInWorker,
  sampleSteps,
  specHashHex,
  type Dataset,
  type TraceManifest,
  type Violation,
} from "@refereed/engine";
import { TraceClient, TraceFetchError, TraceIntegrityError, TracePublishError, TraceUriError, type FetchedManifest } from "@refereed/trace";
import type { StepContext } from "@refereed/adjudication";
import { TraceRollupData, checkJobAgainstSpec, loadJobDataset, type JobParams, type ProtocolReader, type Target } from "@refereed/trainer";

/** The on-chain facts an audit is checked against. */
export interface RollupClaim {
  readonly jobId: bigint;
  readonly rollupId: bigint;
  readonly index: bigint;
  readonly firstStep: number;
  readonly iterations: number;
  readonly startState: Hex;
  readonly rollupRoot: Hex;
  readonly endState: Hex;
  readonly traceURI: string;
}

export interface JobFacts {
  readonly params: JobParams;
  readonly nonce: Hex;
  readonly keyHash: Hex;
}

export type AuditMode = { readonly kind: "full" } | { readonly kind: "sampled"; readonly fraction: number; readonly secret: Uint8Array };

export type RollupAuditResult =
  | { readonly kind: "clean"; readonly audited: number[]; readonly unverified: number[]; readonly detail: string }
  | { readonly kind: "violation"; readonly violation: Violation; readonly target: Target; readonly audited: number[]; readonly unverified: number[]; readonly detail: string }
  | { readonly kind: "unprovable"; readonly violation: Violation | null; readonly audited: number[]; readonly unverified: number[]; readonly detail: string }
  /** `retry`: a transient failure (server unreachable): try again later */
  | { readonly kind: "trace-error"; readonly reason: "fetch" | "integrity" | "format" | "mismatch"; readonly retry: boolean; readonly unverified: number[]; readonly detail: string };

export interface TraceAuditorOptions {
  readonly client: TraceClient;
  readonly reader: ProtocolReader;
  /** where verified copies of traces are kept (one directory per rollup) */
  readonly workDir: string;
  /** the training set to audit against; default the job's MNIST prefix */
  readonly dataset?: Dataset;
  readonly log?: (level: "info" | "warn", obj: Record<string, unknown>, msg: string) => void;
}

const eqHex = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A failed check of the trace against the claim. */
class MismatchError extends Error {}

export class TraceAuditor {
  private readonly manifests = new Map<string, FetchedManifest>();

  constructor(readonly opts: TraceAuditorOptions) {}

  dirOf(rollupId: bigint): string {
    return join(this.opts.workDir, `rollup-${rollupId}`);
  }

  /** The verified copy on disk, as move data (for playing a game after a restart). */
  rollupData(c: RollupClaim, job: JobFacts): TraceRollupData | null {
    const dir = this.dirOf(c.rollupId);
    if (!existsSync(join(dir, "manifest.json"))) return null;
    const reader = TraceReader.open(dir);
    return new TraceRollupData({
      reader,
      firstStep: c.firstStep,
      data: loadJobDataset(reader.job.spec, this.opts.dataset),
      vrfPublicKey: fromHex(reader.job.spec.vrfKey),
      chain: { jobId: c.jobId, rollupId: c.rollupId, rollupIndex: c.index, toleranceProfile: job.params.toleranceProfile },
    });
  }

  /** Fetches what the audit needs, checks it against the claim, audits, and confirms a target with the verifier. */
  async auditRollup(c: RollupClaim, job: JobFacts, mode: AuditMode): Promise<RollupAuditResult> {
    // 1. the manifest, named by the URI's hash, and its consistency with the chain
    let m: FetchedManifest;
    try {
      m = this.manifests.get(c.traceURI) ?? (await this.opts.client.fetchManifest(c.traceURI));
      this.manifests.set(c.traceURI, m);
      this.checkManifest(c, job, m.manifest as unknown as TraceManifest);
    } catch (err) {
      return this.traceError(err, []);
    }
    const manifest = m.manifest as unknown as TraceManifest;
    const dir = this.dirOf(c.rollupId);
    mkdirSync(dir, { recursive: true });
    writeAtomic(join(dir, "manifest.json"), m.bytes);
    let reader: TraceReader;
    try {
      reader = TraceReader.open(dir);
    } catch (err) {
      return this.traceError(err, []);
    }
    const data = loadJobDataset(reader.job.spec, this.opts.dataset);

    // 2. which steps: the audited ones, each one's predecessor (PARAM links), the first and the last (claim states)
    const first = c.firstStep;
    const last = c.firstStep + c.iterations - 1;
    const steps =
      mode.kind === "full" ? Array.from({ length: c.iterations }, (_, i) => first + i) : sampleSteps(first, c.iterations, mode.fraction, mode.secret, fromHex(c.rollupRoot, 32));
    const need = new Set<number>([first, last]);
    for (const s of steps) {
      need.add(s);
      if (s > first) need.add(s - 1);
    }
    let bad: Set<number>;
    try {
      bad = await this.fetchVerified(m, reader, dir, [...need].sort((a, b) => a - b));
    } catch (err) {
      return this.traceError(err, []);
    }
    const unverified = [...bad].sort((a, b) => a - b);

    // 3. the claim's states, from the verified first and last iterations
    if (bad.has(first) || bad.has(last)) {
      return { kind: "trace-error", reason: "integrity", retry: false, unverified, detail: `the rollup's first or last iteration does not verify: steps ${unverified.join(", ")}` };
    }
    const t = reader.template;
    const fi = reader.readIteration(first);
    const li = reader.readIteration(last);
    const start = toHex(stateTree(t.params.map((p) => fi.nodeRoots[p.id]!)).root);
    const end = toHex(stateTree(t.updateOf.map((u) => li.nodeRoots[u]!)).root);
    if (!eqHex(start, c.startState) || !eqHex(end, c.endState)) {
      // the trace's states are not the claim's: the proof builder serves the trace's, so no game is opened
      return { kind: "unprovable", violation: null, audited: [], unverified, detail: `the trace's start/end states (${start}, ${end}) differ from the claim's (${c.startState}, ${c.endState})` };
    }

    // 4. the audit of the steps that verified (each with its predecessor, or the rollup's first step), on a worker
    //    thread: it takes seconds to minutes of CPU, and the follower, the metrics and the other games' moves go on
    const audited = steps.filter((s) => !bad.has(s) && (s === first || !bad.has(s - 1)));
    const r = await auditInWorker({ traceDir: dir, firstStep: first, count: c.iterations, steps: audited, data, datasetChecked: true, verifyRoots: false });
    const skipped = unverified.length ? `; steps ${unverified.join(", ")} unverified (not audited)` : "";
    if (r.ok) return { kind: "clean", audited, unverified, detail: `${r.iterations} iterations, ${r.elements} elements: no violation${skipped}` };
    const v = r.violation;
    const detail = `${v.nodeName} (${v.op}) step ${v.step} element ${v.element}: ${v.reason}: ${v.detail}${skipped}`;

    // 5. a target the verifier rejects, with the context the game will build
    const rd = new TraceRollupData({
      reader,
      firstStep: first,
      data,
      vrfPublicKey: fromHex(reader.job.spec.vrfKey),
      chain: { jobId: c.jobId, rollupId: c.rollupId, rollupIndex: c.index, toleranceProfile: job.params.toleranceProfile },
    });
    const target = await this.confirmTarget(c, job, rd, v, data);
    if (!target) return { kind: "unprovable", violation: v, audited, unverified, detail: `${detail}; no one-step check rejects it` };
    return { kind: "violation", violation: v, target, audited, unverified, detail };
  }

  private checkManifest(c: RollupClaim, job: JobFacts, m: TraceManifest): void {
    if (!m || typeof m !== "object" || !m.spec) throw new MismatchError("the manifest has no job spec");
    const sh = specHashHex(m.spec);
    if (!eqHex(sh, job.params.specHash)) throw new MismatchError(`the trace's spec hashes to ${sh}, the job's spec hash is ${job.params.specHash}`);
    checkJobAgainstSpec(c.jobId, job.params, { spec: m.spec });
    if (!eqHex(m.nonce, job.nonce)) throw new MismatchError(`the trace's nonce ${m.nonce} is not the job's ${job.nonce}`);
    if (m.spec.seedScheme === "bls12-381" && !eqHex(keccak256(m.spec.vrfKey), job.keyHash)) throw new MismatchError("the spec's VRF key is not the key the trainer registered");
    const its = m.iterations.filter((it) => it.step >= c.firstStep && it.step < c.firstStep + c.iterations);
    if (its.length !== c.iterations) throw new MismatchError(`the trace holds ${its.length} of the rollup's ${c.iterations} iterations`);
    const root = toHex(buildTree(Kind.Rollup, its.map((it) => fromHex(it.leaf, 72, `leaf of step ${it.step}`))).root);
    if (!eqHex(root, c.rollupRoot)) throw new MismatchError(`the trace's iteration leaves fold to ${root}, the rollup root is ${c.rollupRoot}`);
  }

  /** Downloads the steps not yet on disk and verifies each; returns the steps that failed (never trusted). */
  private async fetchVerified(m: FetchedManifest, reader: TraceReader, dir: string, steps: number[]): Promise<Set<number>> {
    const bad = new Set<number>();
    for (const s of steps) {
      const it = m.index.iterations.find((x) => x.step === s);
      if (!it) {
        bad.add(s);
        continue;
      }
      const path = join(dir, it.file);
      if (!existsSync(path)) {
        try {
          writeAtomic(path, await this.opts.client.fetchIteration(m, s));
        } catch (err) {
          if (err instanceof TraceIntegrityError) {
            this.opts.log?.("warn", { step: s, expected: err.expected, actual: err.actual, url: err.url }, "trace object failed its integrity check: not trusted, not audited");
            bad.add(s);
            continue;
          }
          throw err;
        }
      }
      try {
        reader.verifyIteration(s);
      } catch (err) {
        if (!(err instanceof TraceFormatError)) throw err;
        this.opts.log?.("warn", { step: s, error: err.message }, "iteration does not match its commitment: not trusted, not audited");
        bad.add(s);
      }
      // hashing an iteration is synchronous: let the rest of the daemon run between iterations
      await yieldToLoop();
    }
    return bad;
  }

  /** Candidates for the one-step check, in order; the first the verifier rejects is the target. */
  private candidates(rd: TraceRollupData, v: Violation): Target[] {
    const iteration = v.step - rd.opts.firstStep;
    const out: Target[] = [];
    if (v.reason !== "journal") out.push({ branch: "graph", iteration, node: v.node, element: v.element });
    if (v.journalOrdinal !== undefined) {
      // a journal-level finding: the entry itself, then dropout elements that contradict the PRG keep bit of its y
      out.push({ branch: "journal", iteration, index: v.journalOrdinal });
      const t = rd.template;
      const layer = t.dropout[v.journalOrdinal]!;
      const f = rd.file(iteration);
      if (f) {
        const x = f.outputs[t.nodes[layer.node]!.inputs[0]!]!;
        const out2 = f.outputs[layer.node]!;
        const y = f.journal[v.journalOrdinal]!.y;
        let found = 0;
        for (let e = 0; e < out2.length && found < 3; e++) {
          if (!checkDropoutElement(y, layer, e, bitsOf(x[e]!), bitsOf(out2[e]!)).ok) {
            out.push({ branch: "graph", iteration, node: layer.node, element: e });
            found++;
          }
        }
      }
    }
    return out;
  }

  private async confirmTarget(c: RollupClaim, job: JobFacts, rd: TraceRollupData, v: Violation, _data: Dataset): Promise<Target | null> {
    for (const target of this.candidates(rd, v)) {
      try {
        const base = target.branch === "graph" ? rd.elementContext(target.iteration, target.node, target.element) : rd.journalContext(target.iteration, target.index);
        // the chain's own values, not the trace's: the verdict must be the one the game's step will get
        const ctx: StepContext = {
          ...base,
          specHash: job.params.specHash,
          templateRoot: job.params.templateRoot,
          datasetRoot: job.params.datasetRoot,
          datasetSize: job.params.datasetSize,
          nodeCount: job.params.nodeCount,
          dropoutLayers: job.params.dropoutLayers,
          toleranceProfile: job.params.toleranceProfile,
          nonce: job.nonce,
          trainerKeyHash: job.keyHash,
          jobId: c.jobId,
          rollupId: c.rollupId,
          rollupIndex: c.index,
          startState: c.startState,
          rollupRoot: c.rollupRoot,
          endState: c.endState,
          firstStep: BigInt(c.firstStep),
          iterations: BigInt(c.iterations),
        };
        const proof = target.branch === "graph" ? rd.elementProof(target.iteration, target.node, target.element) : rd.journalProof(target.iteration, target.index);
        if (!proof) continue;
        const valid = await this.opts.reader.verify(target.branch === "graph" ? "element" : "journal", ctx, proof);
        this.opts.log?.("info", { target: { ...target }, trainerValid: valid }, "one-step check of the candidate (eth_call)");
        if (!valid) return target;
      } catch (err) {
        // no answer from the RPC endpoint is no verdict: the audit fails and is retried (the rollup stays "new")
        if (isTransportError(err)) throw err;
        this.opts.log?.("warn", { target: { ...target }, error: (err as Error).message.slice(0, 300) }, "candidate not adjudicable (the verifier reverts)");
      }
    }
    return null;
  }

  private traceError(err: unknown, unverified: number[]): RollupAuditResult {
    if (err instanceof TraceIntegrityError) return { kind: "trace-error", reason: "integrity", retry: false, unverified, detail: err.message };
    if (err instanceof TraceFetchError) return { kind: "trace-error", reason: "fetch", retry: true, unverified, detail: err.message };
    if (err instanceof MismatchError || (err as Error)?.name === "JobMismatchError") return { kind: "trace-error", reason: "mismatch", retry: false, unverified, detail: (err as Error).message };
    if (err instanceof TracePublishError || err instanceof TraceUriError || err instanceof TraceFormatError) return { kind: "trace-error", reason: "format", retry: false, unverified, detail: (err as Error).message };
    throw err;
  }
}

/** The request did not reach the chain or got no answer (HTTP failure, timeout), as opposed to a revert. */
function isTransportError(err: unknown): boolean {
  return err instanceof BaseError && err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError) !== null;
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}
