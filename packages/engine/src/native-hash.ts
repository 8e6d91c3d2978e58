/**
 * The native SHA-256 tree (packages/engine/native/sha256tree.c, ADR 0013): a tensor's chunk-tree top in one call,
 * hashed with the x86 SHA extensions, two messages side by side. Built from source by `npm install`
 * (scripts/build-native.mjs); where it is not built, not loadable, disabled (REFEREED_NATIVE_HASH=0), or the CPU
 * lacks SHA-NI, `nativeTree()` is null and FastHasher keeps its WebAssembly and node:crypto path (same roots).
 *
 * Loaded once per thread and checked on load against node:crypto and core's reference tree (`tensorRoot`); a module
 * that disagrees is not used, with a process warning: a wrong root would get an honest trainer slashed.
 */
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { CHUNK_ELEMS, Kind, equalBytes, rootHash, tensorRoot } from "@refereed/core";

export interface NativeTree {
  /** SHA-256 of the bytes of `data` into `out` (32 bytes) */
  sha256(data: ArrayBufferView, out: Uint8Array): void;
  /** the top of the SPEC §2 chunk tree over the bytes of `data` (at least one) into `out` (32 bytes) */
  tensorTop(data: ArrayBufferView, out: Uint8Array): void;
}

interface NativeModule extends NativeTree {
  available(): boolean;
}

export interface NativeTreeStatus {
  readonly loaded: boolean;
  /** why it is not in use; `self-check` is a defect (the module was built, and computes wrong digests) */
  readonly reason: "loaded" | "disabled" | "not-built" | "not-loadable" | "no-sha-ni" | "self-check";
  /** the reason in words, or where it was loaded from */
  readonly detail: string;
}

/** where scripts/build-native.mjs writes the module */
export const NATIVE_TREE_PATH = fileURLToPath(new URL("../native/build/sha256tree.node", import.meta.url));

let cached: { tree: NativeTree | null; status: NativeTreeStatus } | undefined;

/**
 * The module's answers on a few inputs against node:crypto and core: message lengths around the block and padding
 * boundaries, and tensors of one short chunk, of leaf pairs with an odd last chunk, and of full chunks only
 * (odd and even levels). Returns what disagreed, or null.
 */
export function selfCheck(m: NativeTree): string | null {
  const out = new Uint8Array(32);
  for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1025, 5000]) {
    const data = Uint8Array.from({ length: len }, (_, i) => (i * 131 + len) & 0xff);
    m.sha256(data, out);
    if (!equalBytes(out, createHash("sha256").update(data).digest())) return `sha256 of ${len} bytes`;
  }
  for (const n of [1, CHUNK_ELEMS - 1, 5 * CHUNK_ELEMS + 3, 9 * CHUNK_ELEMS, 12 * CHUNK_ELEMS]) {
    const t = Float32Array.from({ length: n }, (_, i) => Math.sin(i + n));
    m.tensorTop(t, out);
    if (!equalBytes(rootHash(Kind.Tensor, n, out), tensorRoot(t))) return `the tensor root of ${n} elements`;
  }
  return null;
}

function load(): { tree: NativeTree | null; status: NativeTreeStatus } {
  const off = (reason: NativeTreeStatus["reason"], detail: string) => ({ tree: null, status: { loaded: false, reason, detail } });
  if (process.env.REFEREED_NATIVE_HASH === "0") return off("disabled", "disabled by REFEREED_NATIVE_HASH=0");
  if (!existsSync(NATIVE_TREE_PATH)) return off("not-built", `not built (${NATIVE_TREE_PATH} missing: npm run build:native)`);
  let m: NativeModule;
  try {
    m = createRequire(import.meta.url)(NATIVE_TREE_PATH) as NativeModule;
  } catch (e) {
    return off("not-loadable", `not loadable: ${(e as Error).message}`);
  }
  if (!m.available()) return off("no-sha-ni", "this CPU has no SHA extensions (SHA-NI)");
  const bad = selfCheck(m);
  if (bad !== null) {
    process.emitWarning(`the native SHA-256 tree (${NATIVE_TREE_PATH}) disagrees with the reference on ${bad}; not used`, "RefereedNativeHash");
    return off("self-check", `disagrees with the reference on ${bad}`);
  }
  return { tree: m, status: { loaded: true, reason: "loaded", detail: NATIVE_TREE_PATH } };
}

/** This thread's native tree, or null where it cannot be used (`nativeTreeStatus` says why). */
export function nativeTree(): NativeTree | null {
  return (cached ??= load()).tree;
}

/** Whether the native tree is in use in this thread, and why not. */
export function nativeTreeStatus(): NativeTreeStatus {
  return (cached ??= load()).status;
}
