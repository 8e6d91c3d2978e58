/**
 * Compiled contract artifacts (Hardhat 3 writes them under artifacts/contracts/<File>.sol/<Name>.json at build
 * time). The bots and the CLI load ABIs and bytecode from there, so there is one source of truth: the Solidity.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

export interface Artifact {
  readonly contractName: string;
  readonly abi: Abi;
  readonly bytecode: Hex;
  /** the runtime code, with zeros where the constructor writes immutables (`immutableReferences`) */
  readonly deployedBytecode: Hex;
  /** byte ranges of the runtime code that hold immutables */
  readonly immutableRanges: readonly { readonly start: number; readonly length: number }[];
}

export class ArtifactNotFoundError extends Error {
  constructor(readonly contractName: string, readonly path: string) {
    super(`artifact of ${contractName} not found at ${path}: run \`npx hardhat build\` first`);
    this.name = "ArtifactNotFoundError";
  }
}

/** The repository root (where hardhat.config.ts lives). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const cache = new Map<string, Artifact>();

/** Loads `contracts/<file>.sol:<name>` (file defaults to the name). */
export function loadArtifact(name: string, file: string = name, root: string = repoRoot): Artifact {
  const key = `${root}:${file}:${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const candidates = [join(root, "artifacts/contracts", `${file}.sol`, `${name}.json`), join(root, "artifacts/contracts/harness", `${file}.sol`, `${name}.json`)];
  const path = candidates.find(existsSync);
  if (!path) throw new ArtifactNotFoundError(name, candidates[0]!);
  const json = JSON.parse(readFileSync(path, "utf8")) as {
    contractName: string;
    abi: Abi;
    bytecode: Hex;
    deployedBytecode: Hex;
    immutableReferences?: Record<string, { start: number; length: number }[]>;
  };
  const a: Artifact = {
    contractName: json.contractName,
    abi: json.abi,
    bytecode: json.bytecode,
    deployedBytecode: json.deployedBytecode,
    immutableRanges: Object.values(json.immutableReferences ?? {}).flat(),
  };
  cache.set(key, a);
  return a;
}

/** Whether `code` (a contract's runtime code on a chain) is the artifact's, immutables aside. */
export function isArtifactCode(a: Artifact, code: Hex): boolean {
  const want = a.deployedBytecode.toLowerCase();
  if (code.length !== want.length) return false;
  let got = code.toLowerCase();
  for (const r of a.immutableRanges) {
    const i = 2 + 2 * r.start;
    got = got.slice(0, i) + want.slice(i, i + 2 * r.length) + got.slice(i + 2 * r.length);
  }
  return got === want;
}
