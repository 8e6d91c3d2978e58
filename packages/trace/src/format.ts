/**
 * The published form of a trace (README.md): a small JSON *trace index* naming the SHA-256 and size of the
 * manifest and of every iteration file, itself addressed by its own SHA-256. A trace URI carries the index hash,
 * so one 32-byte hash authenticates every byte a challenger fetches.
 */
import { createHash } from "node:crypto";
import { TracePublishError, TraceUriError } from "./errors.js";

export const INDEX_FORMAT = "refereed-trace-index/1";

/** 64 lowercase hex digits, no 0x. */
export type Sha256Hex = string;

export interface TraceIndexObject {
  readonly sha256: Sha256Hex;
  readonly size: number;
}

export interface TraceIndexIteration extends TraceIndexObject {
  readonly step: number;
  /** file name inside the trace directory (`iter-SSSSSSSSS.bin`) */
  readonly file: string;
}

export interface TraceIndex {
  readonly format: typeof INDEX_FORMAT;
  /** the trace's name on the server (its directory name) */
  readonly name: string;
  /** the manifest.json snapshot this index was made from */
  readonly manifest: TraceIndexObject;
  readonly iterations: readonly TraceIndexIteration[];
}

const HASH_RE = /^[0-9a-f]{64}$/;
/** Trace names: one path segment, no leading dot (so never `.`/`..` nor a hidden directory). */
export const TRACE_NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
export const ITERATION_FILE_RE = /^iter-(\d{9})\.bin$/;

export const isSha256Hex = (s: unknown): s is Sha256Hex => typeof s === "string" && HASH_RE.test(s);

export function sha256Hex(bytes: Uint8Array): Sha256Hex {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Canonical bytes of an index: fixed key order, no whitespace (the hash of these bytes is the trace's address). */
export function encodeTraceIndex(index: TraceIndex): Uint8Array {
  const canonical = {
    format: index.format,
    name: index.name,
    manifest: { sha256: index.manifest.sha256, size: index.manifest.size },
    iterations: index.iterations.map((it) => ({ step: it.step, file: it.file, sha256: it.sha256, size: it.size })),
  };
  return new TextEncoder().encode(JSON.stringify(canonical));
}

function checkObject(v: unknown, what: string, where: string): TraceIndexObject {
  const o = v as Record<string, unknown> | null;
  if (o === null || typeof o !== "object") throw new TracePublishError(where, `${what} is not an object`);
  if (!isSha256Hex(o.sha256)) throw new TracePublishError(where, `${what}.sha256 is not 64 lowercase hex digits: ${JSON.stringify(o.sha256)}`);
  if (!Number.isSafeInteger(o.size) || (o.size as number) < 0) throw new TracePublishError(where, `${what}.size is not a non-negative integer: ${JSON.stringify(o.size)}`);
  return { sha256: o.sha256, size: o.size as number };
}

/** Parses and validates index bytes (already hash-verified by the caller); `where` names them in errors. */
export function parseTraceIndex(bytes: Uint8Array, where: string): TraceIndex {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new TracePublishError(where, `trace index is not valid UTF-8 JSON: ${(err as Error).message}`, { cause: err });
  }
  const m = raw as Record<string, unknown> | null;
  if (m === null || typeof m !== "object") throw new TracePublishError(where, "trace index is not a JSON object");
  if (m.format !== INDEX_FORMAT) throw new TracePublishError(where, `trace index format is ${JSON.stringify(m.format)}, expected ${INDEX_FORMAT}`);
  if (typeof m.name !== "string" || !TRACE_NAME_RE.test(m.name)) throw new TracePublishError(where, `trace index name ${JSON.stringify(m.name)} is not a valid trace name`);
  const manifest = checkObject(m.manifest, "manifest", where);
  if (!Array.isArray(m.iterations)) throw new TracePublishError(where, "trace index has no iterations array");
  const iterations = m.iterations.map((v: unknown, i: number): TraceIndexIteration => {
    const o = checkObject(v, `iterations[${i}]`, where);
    const it = v as Record<string, unknown>;
    const match = typeof it.file === "string" ? ITERATION_FILE_RE.exec(it.file) : null;
    if (!match) throw new TracePublishError(where, `iterations[${i}].file ${JSON.stringify(it.file)} is not an iteration file name`);
    if (it.step !== Number(match[1])) throw new TracePublishError(where, `iterations[${i}].step ${JSON.stringify(it.step)} does not match its file ${it.file as string}`);
    return { ...o, step: it.step as number, file: it.file as string };
  });
  return { format: INDEX_FORMAT, name: m.name, manifest, iterations };
}

/** A parsed trace URI: where the objects are and which index to trust. */
export interface TraceLocation {
  /** server base URL without a trailing slash; objects are at `${baseUrl}/objects/<sha256>` */
  readonly baseUrl: string;
  readonly name: string;
  /** SHA-256 of the trace index (the only thing the client trusts) */
  readonly indexHash: Sha256Hex;
}

/** `http://127.0.0.1:PORT/traces/<name>#sha256=<index sha256>` (README.md, "Trace URIs"). */
export function traceUri(baseUrl: string, name: string, indexHash: Sha256Hex): string {
  if (!TRACE_NAME_RE.test(name)) throw new TraceUriError(name, "not a valid trace name");
  if (!isSha256Hex(indexHash)) throw new TraceUriError(indexHash, "index hash is not 64 lowercase hex digits");
  return `${baseUrl.replace(/\/+$/, "")}/traces/${name}#sha256=${indexHash}`;
}

export function parseTraceUri(uri: string): TraceLocation {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new TraceUriError(uri, "not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TraceUriError(uri, `scheme ${url.protocol} is not http: or https:`);
  if (url.username || url.password) throw new TraceUriError(uri, "credentials in a trace URI are refused");
  const frag = /^#sha256=([0-9a-fA-F]{64})$/.exec(url.hash);
  if (!frag) throw new TraceUriError(uri, "missing #sha256=<64 hex digits> fragment (the trace index hash)");
  const path = /^(.*)\/traces\/([^/]+)$/.exec(url.pathname);
  if (!path || !TRACE_NAME_RE.test(path[2]!)) throw new TraceUriError(uri, "path must end in /traces/<name>");
  if (url.search) throw new TraceUriError(uri, "a query string is not allowed");
  return { baseUrl: `${url.origin}${path[1]}`, name: path[2]!, indexHash: frag[1]!.toLowerCase() };
}
