/**
 * Prometheus metrics with prom-client: each bot owns a registry (no global state shared between bots in one
 * process) whose metric names all start with the bot's prefix (`refereed_challenger_rollups_seen_total`), served
 * in the text exposition format at `http://127.0.0.1:PORT/metrics`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export { Registry };

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export class MetricsError extends Error {
  constructor(readonly metric: string, message: string) {
    super(`metric ${JSON.stringify(metric)}: ${message}`);
    this.name = "MetricsError";
  }
}

export interface BotMetricsOptions {
  /** also export the process metrics (CPU, memory, event loop lag) under the prefix; default true */
  readonly processMetrics?: boolean;
}

/** A registry whose metrics are named `<prefix>_<name>`. */
export class BotMetrics {
  readonly registry = new Registry();

  constructor(
    readonly prefix: string,
    opts: BotMetricsOptions = {},
  ) {
    if (!NAME_RE.test(prefix)) throw new MetricsError(prefix, "prefix must match [a-zA-Z_:][a-zA-Z0-9_:]*");
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: `${prefix}_` });
  }

  private name(name: string): string {
    const full = `${this.prefix}_${name}`;
    if (!NAME_RE.test(name)) throw new MetricsError(full, "name must match [a-zA-Z_:][a-zA-Z0-9_:]*");
    if (this.registry.getSingleMetric(full)) throw new MetricsError(full, "already registered");
    return full;
  }

  /** A counter `<prefix>_<name>` (by convention `name` ends in `_total`). */
  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter<L>({ name: this.name(name), help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge<L>({ name: this.name(name), help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string = never>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): Histogram<L> {
    return new Histogram<L>({ name: this.name(name), help, buckets, labelNames, registers: [this.registry] });
  }

  /** The exposition text (what /metrics serves). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface MetricsServer {
  /** `http://HOST:PORT/metrics` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `registry` at `/metrics` on `host` (default 127.0.0.1) and `port` (0 = a free one). */
export async function startMetricsServer(port: number, registry: Registry | BotMetrics, host = "127.0.0.1"): Promise<MetricsServer> {
  const reg = registry instanceof BotMetrics ? registry.registry : registry;
  const server = createServer((req, res) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at /metrics\n");
      return;
    }
    reg.metrics().then(
      (text) => res.writeHead(200, { "content-type": reg.contentType }).end(req.method === "HEAD" ? undefined : text),
      (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}/metrics`,
    port: actual,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
