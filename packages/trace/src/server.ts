/**
 * The trainer's trace server: plain node:http, loopback by default, content-addressed (README.md).
 *
 *   GET  /objects/<sha256>         the bytes whose SHA-256 is <sha256> (trace index, manifest, iteration file);
 *                                  single `Range: bytes=…` requests are honoured (206 / 416)
 *   GET  /traces                   JSON listing of the published traces
 *   GET  /traces/<name>            JSON {name, indexHash, manifestHash, uri, index} of the latest publication
 *   GET  /traces/<name>/manifest   the latest published manifest bytes, hash in `x-content-sha256`
 *
 * Only hashes and trace names reach the file system, both matched against a closed set (the published objects,
 * the published names): no request path is ever joined to a directory, so `..` cannot escape; requests whose raw
 * path holds a dot segment, a backslash or a NUL are refused outright with 400.
 *
 * The server does not re-hash what it serves: a file corrupted on disk after publication goes out as it is, and the
 * client (TraceClient) refuses it. Publication snapshots the manifest (it is rewritten by the trainer at every
 * rollup) into the object store, so an older trace URI keeps working after later rollups.
 */
import { createReadStream } from "node:fs";
import { lstat, mkdir, readFile, realpath, rename, stat, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname, isAbsolute, join, sep } from "node:path";
import { TracePublishError } from "./errors.js";
import {
  INDEX_FORMAT,
  ITERATION_FILE_RE,
  TRACE_NAME_RE,
  encodeTraceIndex,
  isSha256Hex,
  parseTraceIndex,
  sha256Hex,
  traceUri,
  type Sha256Hex,
  type TraceIndex,
  type TraceIndexIteration,
} from "./format.js";

export interface TraceServerOptions {
  /** root directory holding one subdirectory per trace (`<dir>/<name>/manifest.json`, `iter-…bin`) */
  readonly dir: string;
  /** default 127.0.0.1 (loopback only) */
  readonly host?: string;
  /** default 0 (a free port) */
  readonly port?: number;
  /** where manifest/index snapshots are kept; default `<dir>/.refereed-objects` */
  readonly storeDir?: string;
}

export interface PublishedTrace {
  readonly name: string;
  /** SHA-256 of the trace index: the hash a rollup commits to */
  readonly indexHash: Sha256Hex;
  readonly manifestHash: Sha256Hex;
  /** `http://HOST:PORT/traces/<name>#sha256=<indexHash>`: the rollup's trace location */
  readonly uri: string;
  readonly index: TraceIndex;
}

export interface TraceServer {
  /** `http://HOST:PORT` */
  readonly url: string;
  readonly port: number;
  /**
   * Snapshots trace `<dir>/<name>` as it is now (manifest + listed iterations) and serves it; see PublishedTrace.
   * Takes the trace's name, or its absolute directory path if that lies directly in `dir`.
   */
  publish(nameOrPath: string): Promise<PublishedTrace>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

interface ObjectLocation {
  readonly path: string;
  readonly size: number;
}

interface FileHash {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly sha256: Sha256Hex;
}

/** The trace formats the engine's TraceReader reads (its READABLE_MANIFEST_FORMATS; a test keeps the two equal). */
export const MANIFEST_FORMATS: readonly string[] = ["refereed-trace/1", "refereed-trace/2"];
const HEADS_FILE = "published.json";

async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/** Validates the parts of a manifest this server relies on (the engine's TraceReader checks the rest). */
function manifestIterations(bytes: Uint8Array, path: string): { step: number; file: string }[] {
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new TracePublishError(path, `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const o = m as Record<string, unknown> | null;
  if (o === null || typeof o !== "object") throw new TracePublishError(path, "not a JSON object");
  if (!MANIFEST_FORMATS.includes(String(o.format))) throw new TracePublishError(path, `format is ${JSON.stringify(o.format)}, expected one of ${MANIFEST_FORMATS.join(", ")}`);
  if (!Array.isArray(o.iterations)) throw new TracePublishError(path, "iterations is not an array");
  return o.iterations.map((v: unknown, i: number) => {
    const it = v as Record<string, unknown> | null;
    const match = it && typeof it.file === "string" ? ITERATION_FILE_RE.exec(it.file) : null;
    // INVARIANT: only `iter-<9 digits>.bin` names are ever joined to the trace directory.
    if (!it || !match) throw new TracePublishError(path, `iterations[${i}].file ${JSON.stringify(it?.file)} is not an iteration file name`);
    if (it.step !== Number(match[1])) throw new TracePublishError(path, `iterations[${i}].step ${JSON.stringify(it.step)} does not match ${it.file as string}`);
    return { step: it.step as number, file: it.file as string };
  });
}

/** Parses a single `bytes=` range against `size`; null = serve the whole object; "unsatisfiable" = 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | "unsatisfiable" {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null; // multi-range or malformed: RFC 9110 lets us ignore it
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

export async function startTraceServer(opts: TraceServerOptions): Promise<TraceServer> {
  const host = opts.host ?? "127.0.0.1";
  const root = await realpath(opts.dir).catch((err: unknown) => {
    throw new TracePublishError(opts.dir, "trace root directory does not exist", { cause: err });
  });
  const storeDir = opts.storeDir ?? join(root, ".refereed-objects");
  await mkdir(storeDir, { recursive: true });

  const objects = new Map<Sha256Hex, ObjectLocation>();
  /** per trace name, every index hash published, oldest first */
  const published = new Map<string, Sha256Hex[]>();
  const indexes = new Map<Sha256Hex, TraceIndex>();
  const fileHashes = new Map<string, FileHash>();
  let publishing: Promise<unknown> = Promise.resolve();
  let baseUrl = "";

  const register = (index: TraceIndex, indexHash: Sha256Hex, indexSize: number): void => {
    indexes.set(indexHash, index);
    objects.set(indexHash, { path: join(storeDir, indexHash), size: indexSize });
    objects.set(index.manifest.sha256, { path: join(storeDir, index.manifest.sha256), size: index.manifest.size });
    for (const it of index.iterations) objects.set(it.sha256, { path: join(root, index.name, it.file), size: it.size });
  };

  // Reload what earlier runs published, so their trace URIs keep resolving after a restart.
  try {
    const heads = JSON.parse(await readFile(join(storeDir, HEADS_FILE), "utf8")) as Record<string, Sha256Hex[]>;
    for (const [name, hashes] of Object.entries(heads)) {
      if (!TRACE_NAME_RE.test(name) || !Array.isArray(hashes)) continue;
      for (const h of hashes) {
        if (!isSha256Hex(h)) continue;
        const bytes = await readFile(join(storeDir, h));
        // INVARIANT: only an index whose bytes still hash to its name is served.
        if (sha256Hex(bytes) !== h) throw new TracePublishError(join(storeDir, h), "stored trace index does not hash to its name (corrupt object store)");
        register(parseTraceIndex(bytes, join(storeDir, h)), h, bytes.length);
      }
      published.set(name, hashes.filter(isSha256Hex));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }

  async function hashFile(path: string): Promise<FileHash> {
    const st = await lstat(path).catch((err: unknown) => {
      throw new TracePublishError(path, "iteration file listed in the manifest is missing", { cause: err });
    });
    if (!st.isFile()) throw new TracePublishError(path, "not a regular file");
    const cached = fileHashes.get(path);
    if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs && cached.ino === st.ino) return cached;
    const bytes = await readFile(path);
    // INVARIANT: the size recorded is the size of the bytes hashed (the file may have been replaced meanwhile).
    const h: FileHash = { size: bytes.length, mtimeMs: st.mtimeMs, ino: st.ino, sha256: sha256Hex(bytes) };
    fileHashes.set(path, h);
    return h;
  }

  async function doPublish(nameOrPath: string): Promise<PublishedTrace> {
    let name = nameOrPath;
    if (isAbsolute(nameOrPath)) {
      // an absolute trace directory is accepted if it sits directly in the root
      const real = await realpath(nameOrPath).catch(() => nameOrPath);
      if (dirname(real) !== root) throw new TracePublishError(nameOrPath, `not a directory directly inside the trace root ${root}`);
      name = basename(real);
    }
    if (!TRACE_NAME_RE.test(name)) throw new TracePublishError(name, "not a valid trace name (one path segment of [A-Za-z0-9._-], no leading dot)");
    const traceDir = join(root, name);
    const real = await realpath(traceDir).catch((err: unknown) => {
      throw new TracePublishError(traceDir, "trace directory does not exist", { cause: err });
    });
    // INVARIANT: a published trace lives inside the root (a symlink pointing elsewhere is refused).
    if (!real.startsWith(root + sep)) throw new TracePublishError(traceDir, `resolves to ${real}, outside the trace root ${root}`);
    const manifestPath = join(traceDir, "manifest.json");
    const manifestBytes = await readFile(manifestPath).catch((err: unknown) => {
      throw new TracePublishError(manifestPath, "missing (not a trace directory?)", { cause: err });
    });
    const iterations: TraceIndexIteration[] = [];
    for (const it of manifestIterations(manifestBytes, manifestPath)) {
      const h = await hashFile(join(traceDir, it.file));
      iterations.push({ step: it.step, file: it.file, sha256: h.sha256, size: h.size });
    }
    const manifestHash = sha256Hex(manifestBytes);
    const index: TraceIndex = { format: INDEX_FORMAT, name, manifest: { sha256: manifestHash, size: manifestBytes.length }, iterations };
    const indexBytes = encodeTraceIndex(index);
    const indexHash = sha256Hex(indexBytes);
    await writeAtomic(join(storeDir, manifestHash), manifestBytes);
    await writeAtomic(join(storeDir, indexHash), indexBytes);
    register(index, indexHash, indexBytes.length);
    const list = published.get(name) ?? [];
    if (list[list.length - 1] !== indexHash) list.push(indexHash);
    published.set(name, list);
    await writeAtomic(join(storeDir, HEADS_FILE), JSON.stringify(Object.fromEntries(published)));
    return { name, indexHash, manifestHash, uri: traceUri(baseUrl, name, indexHash), index };
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, head: boolean): void {
    const bytes = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": bytes.length, "x-content-type-options": "nosniff" });
    res.end(head ? undefined : bytes);
  }

  function latest(name: string): { indexHash: Sha256Hex; index: TraceIndex } | undefined {
    const list = published.get(name);
    const h = list?.[list.length - 1];
    const index = h === undefined ? undefined : indexes.get(h);
    return h === undefined || index === undefined ? undefined : { indexHash: h, index };
  }

  async function sendObject(req: IncomingMessage, res: ServerResponse, hash: Sha256Hex, head: boolean, extra: Record<string, string> = {}): Promise<void> {
    const loc = objects.get(hash);
    if (!loc) return sendJson(res, 404, { error: `no object ${hash}` }, head);
    let size: number;
    try {
      const st = await stat(loc.path);
      if (!st.isFile()) throw new Error("not a file");
      size = st.size;
    } catch {
      return sendJson(res, 404, { error: `object ${hash} is published but its file is gone` }, head);
    }
    const headers: Record<string, string | number> = {
      "content-type": "application/octet-stream",
      "accept-ranges": "bytes",
      etag: `"${hash}"`,
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
      ...extra,
    };
    const range = parseRange(req.headers.range, size);
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...headers, "content-range": `bytes */${size}`, "content-length": 0 });
      res.end();
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
    headers["content-length"] = end - start + 1;
    res.writeHead(range ? 206 : 200, headers);
    if (head || size === 0) {
      res.end();
      return;
    }
    const stream = createReadStream(loc.path, { start, end });
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) {
      res.setHeader("allow", "GET, HEAD");
      return sendJson(res, 405, { error: `method ${req.method} not allowed` }, false);
    }
    const raw = req.url ?? "";
    const rawPath = raw.split(/[?#]/, 1)[0]!;
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return sendJson(res, 400, { error: "malformed percent-encoding in path" }, head);
    }
    // INVARIANT: no dot segment, backslash or NUL, raw or percent-encoded, gets past this line.
    if (!rawPath.startsWith("/") || /(^|\/)\.\.?(\/|$)/.test(decoded) || decoded.includes("\\") || decoded.includes("\0")) {
      return sendJson(res, 400, { error: "path traversal refused" }, head);
    }
    const parts = rawPath.split("/").slice(1);
    if (parts[0] === "objects" && parts.length === 2) {
      const h = parts[1]!.toLowerCase();
      if (!isSha256Hex(h)) return sendJson(res, 400, { error: "object name must be a SHA-256 (64 hex digits)" }, head);
      return sendObject(req, res, h, head);
    }
    if (parts[0] === "traces" && (parts.length === 1 || (parts.length === 2 && parts[1] === ""))) {
      const traces = [...published.keys()].sort().map((name) => {
        const l = latest(name)!;
        return { name, indexHash: l.indexHash, uri: traceUri(baseUrl, name, l.indexHash), iterations: l.index.iterations.length, publications: published.get(name)!.length };
      });
      return sendJson(res, 200, { traces }, head);
    }
    if (parts[0] === "traces" && (parts.length === 2 || (parts.length === 3 && parts[2] === "manifest"))) {
      const name = parts[1]!;
      if (!TRACE_NAME_RE.test(name)) return sendJson(res, 400, { error: "bad trace name" }, head);
      const l = latest(name);
      if (!l) return sendJson(res, 404, { error: `no published trace ${name}` }, head);
      if (parts.length === 3) return sendObject(req, res, l.index.manifest.sha256, head, { "x-content-sha256": l.index.manifest.sha256, "content-type": "application/json" });
      return sendJson(res, 200, { name, indexHash: l.indexHash, manifestHash: l.index.manifest.sha256, uri: traceUri(baseUrl, name, l.indexHash), index: l.index }, head);
    }
    return sendJson(res, 404, { error: "not found" }, head);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message }, false);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url: baseUrl,
    port,
    publish(nameOrPath: string): Promise<PublishedTrace> {
      const p = publishing.then(() => doPublish(nameOrPath));
      publishing = p.catch(() => undefined);
      return p;
    },
    close(): Promise<void> {
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
