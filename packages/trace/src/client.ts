/**
 * The challenger's side: fetches content-addressed trace objects, checks every byte against the hash it asked for
 * before handing it out, and materializes a remote trace into a directory the engine's TraceReader opens.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TraceFetchError, TraceIntegrityError, TracePublishError } from "./errors.js";
import { isSha256Hex, parseTraceIndex, parseTraceUri, sha256Hex, type Sha256Hex, type TraceIndex, type TraceIndexIteration, type TraceLocation } from "./format.js";

export interface TraceClientOptions {
  /** per attempt, headers and body together; default 30 s */
  readonly timeoutMs?: number;
  /** attempts after the first for network errors, timeouts, 5xx and 429; default 3 */
  readonly retries?: number;
  /** delay before the first retry, doubled each time up to maxBackoffMs; default 250 ms */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** refuse objects larger than this (a hostile server cannot exhaust memory); default 1 GiB */
  readonly maxObjectBytes?: number;
  /** parallel downloads in materialize(); default 4 */
  readonly concurrency?: number;
  readonly fetch?: typeof globalThis.fetch;
}

export interface FetchedTrace {
  readonly location: TraceLocation;
  readonly index: TraceIndex;
}

export interface FetchedManifest extends FetchedTrace {
  readonly bytes: Uint8Array;
  /** parsed manifest.json (the engine's TraceManifest; TraceReader validates it further) */
  readonly manifest: { readonly iterations: readonly { readonly step: number; readonly file: string }[] } & Record<string, unknown>;
}

export interface MaterializeOptions {
  /** steps to download; default all of the index. The manifest is always written. */
  readonly steps?: Iterable<number>;
}

export interface MaterializeResult extends FetchedTrace {
  readonly dir: string;
  /** steps downloaded now */
  readonly fetched: number[];
  /** steps already present with the right hash (a resumed materialization) */
  readonly reused: number[];
}

/** A non-retryable HTTP answer (4xx other than 429). */
class PermanentHttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class TraceClient {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxObjectBytes: number;
  private readonly concurrency: number;
  private readonly fetchFn: typeof globalThis.fetch;

  constructor(opts: TraceClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 250;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5_000;
    this.maxObjectBytes = opts.maxObjectBytes ?? 2 ** 30;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    if (!Number.isInteger(this.retries) || this.retries < 0) throw new RangeError(`retries must be a non-negative integer, got ${opts.retries}`);
  }

  /**
   * The bytes of object `hash` from `baseUrl`, verified: throws TraceIntegrityError (never returns the bytes) if they
   * do not hash to `hash`; TraceFetchError after the bounded retries, or at once on a 4xx answer.
   */
  async fetchObject(baseUrl: string, hash: Sha256Hex, opts: { what?: string; expectedSize?: number } = {}): Promise<Uint8Array> {
    const h = hash.toLowerCase();
    if (!isSha256Hex(h)) throw new TypeError(`object hash must be 64 hex digits, got ${JSON.stringify(hash)}`);
    const url = `${baseUrl.replace(/\/+$/, "")}/objects/${h}`;
    const what = opts.what ?? `object ${h}`;
    const limit = opts.expectedSize ?? this.maxObjectBytes;
    let lastErr: unknown;
    for (let attempt = 1; attempt <= this.retries + 1; attempt++) {
      let bytes: Uint8Array;
      try {
        bytes = await this.download(url, limit);
      } catch (err) {
        lastErr = err;
        if (err instanceof PermanentHttpError) throw new TraceFetchError(url, attempt, err.message, err.status);
        if (err instanceof ObjectTooLargeError) throw new TraceIntegrityError(what, h, `(more than ${limit} bytes, download stopped)`, url);
        if (attempt <= this.retries) await sleep(Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1)));
        continue;
      }
      const actual = sha256Hex(bytes);
      // INVARIANT: bytes leave this function only if they hash to the hash that was asked for.
      if (actual !== h) throw new TraceIntegrityError(what, h, actual, url);
      return bytes;
    }
    const cause = lastErr as Error & { cause?: { code?: string; message?: string } };
    const detail = cause.cause?.code ?? cause.cause?.message ?? cause.message;
    throw new TraceFetchError(url, this.retries + 1, `${cause.message}${detail && detail !== cause.message ? ` (${detail})` : ""}`, (lastErr as { status?: number }).status, { cause: lastErr });
  }

  private async download(url: string, limit: number): Promise<Uint8Array> {
    const res = await this.fetchFn(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: "error" });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const msg = `HTTP ${res.status} ${res.statusText}`;
      if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) throw new PermanentHttpError(res.status, msg);
      throw Object.assign(new Error(msg), { status: res.status });
    }
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (declared > limit) {
      await res.body?.cancel().catch(() => undefined);
      throw new ObjectTooLargeError();
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > limit) {
          await reader.cancel().catch(() => undefined);
          throw new ObjectTooLargeError();
        }
        chunks.push(value);
      }
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** The trace index named by a trace URI (`…/traces/<name>#sha256=<hash>`), verified and parsed. */
  async fetchIndex(uri: string | TraceLocation): Promise<FetchedTrace> {
    const location = typeof uri === "string" ? parseTraceUri(uri) : uri;
    const bytes = await this.fetchObject(location.baseUrl, location.indexHash, { what: `trace index of ${location.name}` });
    const index = parseTraceIndex(bytes, `trace index ${location.indexHash}`);
    if (index.name !== location.name) throw new TracePublishError(`trace index ${location.indexHash}`, `names trace ${index.name}, the URI says ${location.name}`);
    return { location, index };
  }

  /** The manifest.json the index was made from, verified, parsed, and checked to list the index's iterations. */
  async fetchManifest(uri: string | TraceLocation | FetchedTrace): Promise<FetchedManifest> {
    const t = typeof uri === "object" && "index" in uri ? uri : await this.fetchIndex(uri);
    const { location, index } = t;
    const bytes = await this.fetchObject(location.baseUrl, index.manifest.sha256, { what: `manifest.json of trace ${index.name}`, expectedSize: index.manifest.size });
    const where = `manifest ${index.manifest.sha256} of trace ${index.name}`;
    let manifest: FetchedManifest["manifest"];
    try {
      manifest = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as FetchedManifest["manifest"];
    } catch (err) {
      throw new TracePublishError(where, `not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    const its = manifest?.iterations;
    if (!Array.isArray(its) || its.length !== index.iterations.length || its.some((it, i) => it?.step !== index.iterations[i]!.step || it?.file !== index.iterations[i]!.file)) {
      throw new TracePublishError(where, "its iterations differ from the trace index's");
    }
    return { location, index, bytes, manifest };
  }

  /** The verified bytes of iteration file `step` of a trace. */
  async fetchIteration(t: FetchedTrace, step: number): Promise<Uint8Array> {
    const it = iterationOf(t.index, step);
    return this.fetchObject(t.location.baseUrl, it.sha256, { what: `${it.file} of trace ${t.index.name}`, expectedSize: it.size });
  }

  /**
   * Writes the trace (manifest + the chosen iteration files, each verified, written to `.tmp` and renamed) into
   * `dir`, which `TraceReader.open(dir)` from @refereed/engine then reads. Files already there with the right hash
   * are kept, so an interrupted materialization resumes. Steps not requested are simply absent.
   */
  async materialize(uri: string | TraceLocation, dir: string, opts: MaterializeOptions = {}): Promise<MaterializeResult> {
    const m = await this.fetchManifest(uri);
    const wanted = opts.steps ? [...new Set(opts.steps)].sort((a, b) => a - b).map((s) => iterationOf(m.index, s)) : [...m.index.iterations];
    await mkdir(dir, { recursive: true });
    const fetched: number[] = [];
    const reused: number[] = [];
    const queue = [...wanted];
    const worker = async (): Promise<void> => {
      for (let it = queue.shift(); it; it = queue.shift()) {
        const path = join(dir, it.file);
        const have = await readFile(path).catch(() => null);
        if (have && have.length === it.size && sha256Hex(have) === it.sha256) {
          reused.push(it.step);
          continue;
        }
        await writeAtomic(path, await this.fetchIteration(m, it.step));
        fetched.push(it.step);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, Math.max(1, wanted.length)) }, worker));
    // the manifest last: a directory with a manifest holds every file that was asked for
    await writeAtomic(join(dir, "manifest.json"), m.bytes);
    return { location: m.location, index: m.index, dir, fetched: fetched.sort((a, b) => a - b), reused: reused.sort((a, b) => a - b) };
  }
}

class ObjectTooLargeError extends Error {}

function iterationOf(index: TraceIndex, step: number): TraceIndexIteration {
  const first = index.iterations[0]?.step ?? 0;
  const it = index.iterations[step - first]?.step === step ? index.iterations[step - first] : index.iterations.find((x) => x.step === step);
  if (!it) {
    const range = index.iterations.length ? `${first}..${index.iterations[index.iterations.length - 1]!.step}` : "none";
    throw new RangeError(`trace ${index.name} has no iteration ${step} (published steps: ${range})`);
  }
  return it;
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}
