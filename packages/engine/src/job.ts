/**
 * A training job as the engine sees it: the graph template, the data, the schedule, the init seed, the nonce
 * and the identity used in VRF contexts. The job spec (everything fixed before the nonce exists) is a canonical
 * JSON document; modelId = SHA256(canonical JSON of the spec) is the VRF context's model id (SPEC §4).
 */
import { fromHex, sha256, toHex, utf8, type Hex } from "@refereed/core";
import { ConfigError } from "./errors.js";
import { stateRootOf } from "./commit.js";
import { initState } from "./init.js";
import { canonicalJson, mlpTemplate, templateHash, templateRoot, type GraphTemplate, type MlpConfig } from "./graph.js";

export interface JobSpec {
  readonly version: 1;
  readonly model: MlpConfig;
  /** SHA-256 of the graph template's canonical JSON (the engine's full template, names included) */
  readonly templateHash: Hex;
  /** root of the template tree (SPEC §7, kind 0x16): what the contract opens node descriptors against */
  readonly templateRoot: Hex;
  /** dataset root over the training examples (SPEC §3), 0x-hex */
  readonly datasetRoot: Hex;
  /** number of training examples N */
  readonly trainExamples: number;
  /** total steps of the job */
  readonly steps: number;
  /** 32-byte seed of the deterministic initialization */
  readonly initSeed: Hex;
  /** the trainer's VRF public key (EIP-2537 G2, 256 bytes) or, for the insecure hash scheme, a key id */
  readonly vrfKey: Hex;
  /** "bls12-381" (the protocol) or "hash-insecure" (tests and benchmarks) */
  readonly seedScheme: string;
}

export interface Job {
  readonly spec: JobSpec;
  readonly template: GraphTemplate;
  /** SHA256(canonical JSON of spec) */
  readonly modelId: Uint8Array;
  /** 32 bytes from the chain, fixed after the trainer's key is registered */
  readonly nonce: Uint8Array;
}

export function makeJob(spec: JobSpec, nonce: Uint8Array): Job {
  if (nonce.length !== 32) throw new ConfigError("nonce", `must be 32 bytes, got ${nonce.length}`);
  if (!Number.isSafeInteger(spec.steps) || spec.steps < 1) throw new ConfigError("steps", `must be a positive integer, got ${spec.steps}`);
  fromHex(spec.initSeed, 32, "initSeed");
  fromHex(spec.datasetRoot, 32, "datasetRoot");
  const template = mlpTemplate(spec.model);
  const h = templateHash(template);
  if (h !== spec.templateHash) throw new ConfigError("templateHash", `spec says ${spec.templateHash}, the model builds ${h}`);
  const r = toHex(templateRoot(template));
  if (r !== spec.templateRoot) throw new ConfigError("templateRoot", `spec says ${spec.templateRoot}, the model builds ${r}`);
  return { spec, template, modelId: specHash(spec), nonce: Uint8Array.from(nonce) };
}

export function specHash(spec: JobSpec): Uint8Array {
  return sha256(utf8(canonicalJson(spec)));
}

export const specHashHex = (spec: JobSpec): Hex => toHex(specHash(spec));

export interface JobSpecInput {
  readonly model: MlpConfig;
  readonly datasetRoot: Uint8Array;
  readonly trainExamples: number;
  readonly steps: number;
  readonly initSeed: Uint8Array;
  readonly vrfKey: Uint8Array;
  readonly seedScheme: string;
}

/** Builds a spec, filling in the template hash and root from the model. */
export function makeJobSpec(i: JobSpecInput): JobSpec {
  const t = mlpTemplate(i.model);
  return {
    version: 1,
    model: i.model,
    templateHash: templateHash(t),
    templateRoot: toHex(templateRoot(t)),
    datasetRoot: toHex(i.datasetRoot),
    trainExamples: i.trainExamples,
    steps: i.steps,
    initSeed: toHex(i.initSeed),
    vrfKey: toHex(i.vrfKey),
    seedScheme: i.seedScheme,
  };
}

/**
 * The fields of a job the contract stores, implied by a spec (docs/GAME.md §1): everything a one-step check opens
 * against. Pure computation; the caller adds the economic parameters (window, clocks, bonds, reward).
 */
export interface OnchainJobFields {
  readonly specHash: Hex;
  readonly templateRoot: Hex;
  readonly initialState: Hex;
  readonly datasetRoot: Hex;
  readonly datasetSize: number;
  readonly nodeCount: number;
  readonly dropoutLayers: number;
  readonly stepsTotal: number;
}

export function onchainJobFields(spec: JobSpec): OnchainJobFields {
  const template = mlpTemplate(spec.model);
  return {
    specHash: specHashHex(spec),
    templateRoot: spec.templateRoot,
    initialState: toHex(stateRootOf(initState(template, fromHex(spec.initSeed, 32, "initSeed")))),
    datasetRoot: spec.datasetRoot,
    datasetSize: spec.trainExamples,
    nodeCount: template.nodes.length,
    dropoutLayers: template.dropout.length,
    stepsTotal: spec.steps,
  };
}
