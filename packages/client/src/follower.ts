/**
 * ChainFollower: delivers a contract's event logs, in order, from its deploy block on, once they have
 * `confirmations` confirmations, and survives reorgs, RPC outages and restarts.
 *
 * - Polls `eth_getLogs` in bounded block ranges (`maxBlockRange`) up to `head − confirmations + 1` (a log in block
 *   b has `head − b + 1` confirmations).
 * - Remembers the hashes of recently delivered blocks (every range end and every block that held a log, the last
 *   `historyDepth` of them). Before each range it checks that the last delivered block is still canonical; if not,
 *   it walks back through the remembered hashes to the newest block still on the chain (the fork point), emits
 *   `reorg` (consumers drop what they derived from later blocks), and re-follows from there. A reorg deeper than the
 *   memory (or a chain reset) rewinds to the deploy block with `deep: true`.
 * - A range is delivered only if it hangs off the last delivered block (parentHash check) and its last block's hash
 *   is the same before and after `eth_getLogs`, so logs of a block that was replaced meanwhile are never delivered.
 * - While the RPC endpoint is unreachable it retries with exponential backoff (capped), logging the outage once when
 *   it starts and once when it ends, and resumes where it stopped.
 * - The cursor (last delivered block number + hash, and the remembered hashes) is persisted in the Store after each
 *   delivered range, so a restarted bot resumes; delivery is at-least-once (a crash between the handler and the
 *   cursor write redelivers that range): handlers must be idempotent, e.g. keyed by (blockHash, logIndex).
 */
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BlockNotFoundError,
  createPublicClient,
  http,
  parseEventLogs,
  type Abi,
  type Address,
  type Hex,
  type ParseEventLogsReturnType,
  type PublicClient,
} from "viem";
import type { Logger } from "./log.js";
import { silentLogger } from "./log.js";
import type { Store } from "./store.js";

/** A delivered range: every matching log of blocks [fromBlock, toBlock], decoded with the ABI, in chain order. */
export interface LogBatch<TAbi extends Abi> {
  readonly fromBlock: bigint;
  readonly toBlock: bigint;
  readonly toHash: Hex;
  /** chain head when the range was read */
  readonly head: bigint;
  readonly logs: ParseEventLogsReturnType<TAbi, undefined, true>;
}

export interface ReorgInfo {
  /** the newest delivered block still canonical; everything delivered after it is void */
  readonly forkBlock: bigint;
  readonly forkHash: Hex | null;
  /** the cursor before the rewind */
  readonly fromBlock: bigint;
  readonly fromHash: Hex | null;
  /** the canonical hash now at `fromBlock` (null if the chain is shorter now) */
  readonly canonicalHash: Hex | null;
  /** no remembered block matched: rewound to the deploy block */
  readonly deep: boolean;
}

export interface FollowerCursor {
  readonly number: bigint;
  /** null only before the deploy block 0 */
  readonly hash: Hex | null;
}

export interface FollowerEvents<TAbi extends Abi> {
  logs: [LogBatch<TAbi>];
  reorg: [ReorgInfo];
  "rpc-down": [Error];
  "rpc-up": [{ downForMs: number; failures: number }];
  "handler-error": [Error];
}

export interface ChainFollowerOptions<TAbi extends Abi> {
  /** a viem public client, or an RPC URL (an http transport without its own retries is made) */
  readonly client: PublicClient | string;
  readonly address: Address | readonly Address[];
  /** the contract's ABI: logs are decoded with it, logs it does not describe are dropped */
  readonly abi: TAbi;
  /** the deploy block: the first block followed */
  readonly fromBlock: bigint;
  /** default 2; at least 1 (1 = deliver logs of the head block) */
  readonly confirmations?: number;
  /** blocks per eth_getLogs; default 1000 */
  readonly maxBlockRange?: bigint;
  /** delay between polls once caught up; default 1000 ms */
  readonly pollIntervalMs?: number;
  /** block hashes remembered for reorg detection; default 256 */
  readonly historyDepth?: number;
  /** first retry delay while the RPC is down, doubled up to maxBackoffMs; defaults 250 ms and 15 s */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** where the cursor lives; without it a restart starts from `fromBlock` again */
  readonly store?: Store;
  /** key of the cursor in the store; default `follower:<address>` */
  readonly cursorKey?: string;
  readonly logger?: Logger;
  /** awaited for each delivered range before the cursor moves (a throw retries the range later) */
  readonly onLogs?: (batch: LogBatch<TAbi>) => Promise<void> | void;
  /** awaited on a reorg before the rewound cursor is saved */
  readonly onReorg?: (info: ReorgInfo) => Promise<void> | void;
}

/** A consumer's handler threw: not an RPC failure; the range or reorg is retried after a backoff. */
export class FollowerHandlerError extends Error {
  constructor(
    readonly stage: "logs" | "reorg",
    readonly range: string,
    options: { cause: unknown },
  ) {
    super(`${stage} handler failed for ${range}: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = "FollowerHandlerError";
  }
}

/** The chain moved under a range being read (a block was replaced meanwhile): the range is read again. */
class RangeRaceError extends Error {}

interface StoredCursor {
  number: string;
  hash: Hex | null;
  /** [number, hash] newest last */
  history: [string, Hex][];
  [k: string]: string | null | [string, Hex][];
}

export interface PollResult {
  /** logs delivered by this poll */
  readonly delivered: number;
  readonly head: bigint;
  readonly cursor: FollowerCursor;
  /** the cursor reached head − confirmations + 1 */
  readonly caughtUp: boolean;
  readonly reorg: boolean;
}

export class ChainFollower<const TAbi extends Abi> extends EventEmitter<FollowerEvents<TAbi>> {
  readonly confirmations: number;
  private readonly client: PublicClient;
  private readonly addresses: Address[];
  private readonly maxRange: bigint;
  private readonly key: string;
  private readonly log: Logger;
  private cursor: FollowerCursor;
  /** remembered (number → hash), insertion = ascending number */
  private history = new Map<bigint, Hex>();
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private down: { since: number; failures: number } | null = null;

  constructor(readonly opts: ChainFollowerOptions<TAbi>) {
    super();
    this.confirmations = opts.confirmations ?? 2;
    if (!Number.isInteger(this.confirmations) || this.confirmations < 1) throw new RangeError(`confirmations must be an integer >= 1, got ${opts.confirmations}`);
    this.maxRange = opts.maxBlockRange ?? 1000n;
    if (this.maxRange < 1n) throw new RangeError(`maxBlockRange must be >= 1, got ${this.maxRange}`);
    if (opts.fromBlock < 0n) throw new RangeError(`fromBlock must be >= 0, got ${opts.fromBlock}`);
    this.client =
      typeof opts.client === "string"
        ? (createPublicClient({ transport: http(opts.client, { retryCount: 0, timeout: 10_000 }), cacheTime: 0 }) as PublicClient)
        : opts.client;
    this.addresses = (Array.isArray(opts.address) ? [...opts.address] : [opts.address as Address]).map((a) => a.toLowerCase() as Address);
    this.key = opts.cursorKey ?? `follower:${this.addresses.join(",")}`;
    this.log = opts.logger ?? silentLogger;
    this.cursor = { number: opts.fromBlock - 1n, hash: null };
    const saved = opts.store?.get<StoredCursor>(this.key);
    if (saved) {
      this.cursor = { number: BigInt(saved.number), hash: saved.hash };
      this.history = new Map(saved.history.map(([n, h]) => [BigInt(n), h]));
      this.log.info({ cursor: saved.number, hash: saved.hash }, "follower resumes from its saved cursor");
    }
  }

  /** The last delivered block (fromBlock − 1 before the first range). */
  get position(): FollowerCursor {
    return this.cursor;
  }

  get rpcDown(): boolean {
    return this.down !== null;
  }

  private save(): void {
    if (!this.opts.store) return;
    const value: StoredCursor = {
      number: this.cursor.number.toString(),
      hash: this.cursor.hash,
      history: [...this.history].map(([n, h]): [string, Hex] => [n.toString(), h]),
    };
    this.opts.store.put(this.key, value);
  }

  private remember(n: bigint, h: Hex): void {
    this.history.delete(n);
    this.history.set(n, h);
    if (this.history.size > (this.opts.historyDepth ?? 256)) {
      const sorted = [...this.history].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.history = new Map(sorted.slice(sorted.length - (this.opts.historyDepth ?? 256)));
    }
  }

  private async hashAt(n: bigint): Promise<{ hash: Hex; parentHash: Hex } | null> {
    try {
      const b = await this.client.getBlock({ blockNumber: n, includeTransactions: false });
      return { hash: b.hash, parentHash: b.parentHash };
    } catch (err) {
      if (err instanceof BlockNotFoundError) return null;
      throw err;
    }
  }

  /** Rewinds to the newest remembered block that is still canonical (or the deploy block). */
  private async rewind(canonicalHash: Hex | null): Promise<void> {
    const old = this.cursor;
    let fork: FollowerCursor | null = null;
    const candidates = [...this.history].filter(([n]) => n < old.number).sort((a, b) => (a[0] > b[0] ? -1 : a[0] < b[0] ? 1 : 0));
    for (const [n, h] of candidates) {
      const b = await this.hashAt(n);
      if (b?.hash === h) {
        fork = { number: n, hash: h };
        break;
      }
    }
    const deep = fork === null;
    if (!fork) {
      const start = this.opts.fromBlock - 1n;
      fork = { number: start, hash: start >= 0n ? ((await this.hashAt(start))?.hash ?? null) : null };
    }
    const info: ReorgInfo = { forkBlock: fork.number, forkHash: fork.hash, fromBlock: old.number, fromHash: old.hash, canonicalHash, deep };
    this.log.warn({ forkBlock: fork.number.toString(), from: old.number.toString(), deep }, deep ? "deep reorg or chain reset: re-following from the deploy block" : "reorg: rewinding to the fork point");
    // notify first, save after: a crash in between re-detects the same reorg on restart (consumers re-derive again)
    try {
      await this.opts.onReorg?.(info);
    } catch (err) {
      throw new FollowerHandlerError("reorg", `fork at ${fork.number}`, { cause: err });
    }
    this.emit("reorg", info);
    this.cursor = fork;
    for (const n of [...this.history.keys()]) if (n > fork.number) this.history.delete(n);
    if (fork.hash) this.remember(fork.number, fork.hash);
    this.save();
  }

  /**
   * One step: checks the last delivered block is still canonical (rewinding on a reorg), then reads and delivers
   * at most one range of confirmed blocks. Throws on RPC errors and handler errors (start() retries them).
   */
  async poll(): Promise<PollResult> {
    const head = await this.client.getBlockNumber({ cacheTime: 0 });
    if (this.cursor.hash !== null) {
      const b = await this.hashAt(this.cursor.number);
      if (b?.hash !== this.cursor.hash) {
        await this.rewind(b?.hash ?? null);
        return { delivered: 0, head, cursor: this.cursor, caughtUp: false, reorg: true };
      }
    }
    const target = head - BigInt(this.confirmations - 1);
    if (target <= this.cursor.number) return { delivered: 0, head, cursor: this.cursor, caughtUp: true, reorg: false };
    const from = this.cursor.number + 1n;
    const to = from + this.maxRange - 1n < target ? from + this.maxRange - 1n : target;
    const last = await this.hashAt(to);
    const first = to === from ? last : await this.hashAt(from);
    if (!last || !first) throw new RangeRaceError(`block ${!last ? to : from} vanished while reading [${from}, ${to}]`);
    // INVARIANT: a range is delivered only if it continues the chain already delivered.
    if (this.cursor.hash !== null && first.parentHash !== this.cursor.hash) throw new RangeRaceError(`block ${from} no longer builds on delivered block ${this.cursor.number}`);
    const raw = await this.client.getLogs({ address: this.addresses, fromBlock: from, toBlock: to });
    const again = await this.hashAt(to);
    // INVARIANT: the logs read belong to the chain ending in `last` (unchanged across eth_getLogs).
    if (again?.hash !== last.hash) throw new RangeRaceError(`block ${to} was replaced while reading [${from}, ${to}]`);
    for (const l of raw) {
      if (l.removed || l.blockNumber === null || l.blockNumber < from || l.blockNumber > to) throw new RangeRaceError(`eth_getLogs returned a log outside [${from}, ${to}] or removed`);
    }
    raw.sort((a, b) => (a.blockNumber! < b.blockNumber! ? -1 : a.blockNumber! > b.blockNumber! ? 1 : a.logIndex! - b.logIndex!));
    const logs = parseEventLogs({ abi: this.opts.abi, logs: raw, strict: true }) as ParseEventLogsReturnType<TAbi, undefined, true>;
    const batch: LogBatch<TAbi> = { fromBlock: from, toBlock: to, toHash: last.hash, head, logs };
    if (logs.length > 0 || this.opts.onLogs) {
      try {
        await this.opts.onLogs?.(batch);
      } catch (err) {
        throw new FollowerHandlerError("logs", `blocks [${from}, ${to}]`, { cause: err });
      }
    }
    if (logs.length > 0) this.emit("logs", batch);
    for (const l of raw) if (l.blockHash && l.blockNumber !== null) this.remember(l.blockNumber, l.blockHash);
    this.remember(to, last.hash);
    this.cursor = { number: to, hash: last.hash };
    this.save();
    if (logs.length > 0) this.log.debug({ from: from.toString(), to: to.toString(), logs: logs.length }, "delivered logs");
    return { delivered: logs.length, head, cursor: this.cursor, caughtUp: to === target, reorg: false };
  }

  /** Polls until stop(): immediately while catching up, every pollIntervalMs once caught up, backing off on errors. */
  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    const initial = this.opts.initialBackoffMs ?? 250;
    const max = this.opts.maxBackoffMs ?? 15_000;
    this.running = (async () => {
      let backoff = initial;
      while (!signal.aborted) {
        let wait = 0;
        try {
          const r = await this.poll();
          if (this.down) {
            const info = { downForMs: Date.now() - this.down.since, failures: this.down.failures };
            this.log.info({ ...info, cursor: this.cursor.number.toString() }, "RPC endpoint reachable again; resuming");
            this.down = null;
            this.emit("rpc-up", info);
          }
          backoff = initial;
          wait = r.caughtUp ? (this.opts.pollIntervalMs ?? 1000) : 0;
        } catch (err) {
          const e = err as Error;
          if (err instanceof RangeRaceError) {
            this.log.debug({ reason: e.message }, "chain moved under the range being read; retrying");
            wait = Math.min(initial, this.opts.pollIntervalMs ?? 1000);
          } else if (err instanceof FollowerHandlerError) {
            this.log.error({ err }, "handler failed; retrying the same range after a backoff");
            this.emit("handler-error", e);
            wait = backoff;
            backoff = Math.min(max, backoff * 2);
          } else {
            if (!this.down) {
              this.down = { since: Date.now(), failures: 0 };
              this.log.warn({ err: { message: e.message, name: e.name }, cursor: this.cursor.number.toString() }, "RPC endpoint unreachable; retrying with backoff");
              this.emit("rpc-down", e);
            }
            this.down.failures++;
            wait = backoff;
            backoff = Math.min(max, backoff * 2);
          }
        }
        if (wait > 0 && !signal.aborted) await sleep(wait, undefined, { signal }).catch(() => undefined);
      }
    })();
  }

  /** Stops the loop (an in-flight poll finishes first). */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.running;
    this.running = null;
  }
}
