/** Errors of the trace server and client: each names the object, URL or input it is about. */

/** Bytes received for an object do not hash to the requested SHA-256: the bytes are discarded, never returned. */
export class TraceIntegrityError extends Error {
  constructor(
    /** what was fetched (`iter-000000003.bin of trace mnist`, `trace index`, …) */
    readonly object: string,
    /** the hash that was asked for (0x-less lowercase hex) */
    readonly expected: string,
    /** the SHA-256 of the bytes the server sent */
    readonly actual: string,
    readonly url: string,
  ) {
    super(`${object}: integrity check failed for ${url}: expected sha256 ${expected}, received bytes hash to ${actual} (not trusted, discarded)`);
    this.name = "TraceIntegrityError";
  }
}

/** A request failed for good (after the bounded retries, or at once for an answer that retrying cannot change). */
export class TraceFetchError extends Error {
  constructor(
    readonly url: string,
    readonly attempts: number,
    message: string,
    /** HTTP status of the last answer, if the server answered */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`GET ${url} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${message}`, options);
    this.name = "TraceFetchError";
  }
}

/** A trace URI that does not parse (see README.md, "Trace URIs"). */
export class TraceUriError extends Error {
  constructor(
    readonly uri: string,
    message: string,
  ) {
    super(`bad trace URI ${JSON.stringify(uri)}: ${message}`);
    this.name = "TraceUriError";
  }
}

/** A trace directory, manifest or index that cannot be published or used (names the file and the problem). */
export class TracePublishError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
    this.name = "TracePublishError";
  }
}
