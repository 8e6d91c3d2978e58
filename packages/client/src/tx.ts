/**
 * Contract writes for the bots: simulate, sign locally, record, broadcast, wait — idempotent through the Store's
 * action log, and never swallowing a revert.
 *
 * Each write carries an idempotency key. The signed transaction (raw bytes, hash, nonce) is written to the action log
 * BEFORE it is broadcast, so a bot killed at any point finds, on restart, either nothing sent (no record or only the
 * intent: it signs afresh) or the exact transaction it may have sent (it looks the hash up, rebroadcasts the same
 * bytes if the chain does not know them, and waits). The same nonce can be mined at most once, so a crash never pays
 * twice. A key whose transaction was confirmed returns the recorded result without touching the chain.
 *
 * Reverts become `ContractRevertError {errorName, args}` decoded with the contract's ABI: at simulation (nothing was
 * sent, the action is marked `rejected` and may be retried) or from a mined transaction (marked `reverted`, final).
 * Writes of one TxSender are serialized (one nonce sequence per account).
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  WaitForTransactionReceiptTimeoutError,
  decodeErrorResult,
  encodeFunctionData,
  keccak256,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { prepareTransactionRequest } from "viem/actions";
import type { Logger } from "./log.js";
import { silentLogger } from "./log.js";
import type { Json, Store } from "./store.js";

/** A contract call reverted; `errorName`/`args` are the decoded custom error (`Error` for require strings, `Panic`). */
export class ContractRevertError extends Error {
  constructor(
    readonly errorName: string,
    readonly args: readonly unknown[],
    readonly context: {
      readonly functionName: string;
      readonly address: Address;
      /** at `simulation` nothing was sent; at `receipt` a mined transaction reverted */
      readonly stage: "simulation" | "receipt";
      readonly txHash?: Hex;
      /** raw revert data, when known */
      readonly data?: Hex;
      readonly key?: string;
    },
    options?: { cause?: unknown },
  ) {
    super(`${context.functionName} on ${context.address} reverted${context.stage === "receipt" ? ` in mined tx ${context.txHash}` : " in simulation (nothing sent)"}: ${errorName}(${args.map(fmtArg).join(", ")})`, options);
    this.name = "ContractRevertError";
  }
}

/** No receipt within the timeout; the action stays `sent`, a later write with the same key resumes waiting. */
export class TxTimeoutError extends Error {
  constructor(
    readonly hash: Hex,
    readonly timeoutMs: number,
    readonly key: string,
  ) {
    super(`transaction ${hash} (key ${key}) has no receipt after ${timeoutMs} ms; it is recorded and will be awaited again on the next attempt`);
    this.name = "TxTimeoutError";
  }
}

/** The idempotency key is recorded for a different call. */
export class TxKeyConflictError extends Error {
  constructor(
    readonly key: string,
    readonly recorded: string,
    readonly requested: string,
  ) {
    super(`idempotency key ${key} was used for ${recorded}, now requested for ${requested}`);
    this.name = "TxKeyConflictError";
  }
}

const fmtArg = (a: unknown): string => (typeof a === "bigint" ? a.toString() : typeof a === "string" ? a : JSON.stringify(a, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
const toJson = (v: unknown): Json => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)) ?? "null") as Json;

export interface TxResult {
  readonly key: string;
  readonly hash: Hex;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
  /** true if this call found the action already confirmed (nothing sent now) */
  readonly reused: boolean;
}

export interface WriteRequest<TAbi extends Abi, TName extends ContractFunctionName<TAbi, "nonpayable" | "payable">> {
  readonly address: Address;
  readonly abi: TAbi;
  readonly functionName: TName;
  readonly args: ContractFunctionArgs<TAbi, "nonpayable" | "payable", TName>;
  readonly value?: bigint;
  /** gas limit; default estimated */
  readonly gas?: bigint;
}

export interface WriteOptions {
  /** idempotency key: one key, one paid transaction (e.g. `move:<game>:<depth>`) */
  readonly key: string;
  /** receipt wait; default the sender's */
  readonly timeoutMs?: number;
}

interface SignedDetail {
  hash: Hex;
  raw: Hex;
  nonce: number;
  [k: string]: Json;
}

export interface TxSenderOptions {
  readonly publicClient: PublicClient;
  /** a local account (privateKeyToAccount / loadAccount): transactions are signed here, not by the node */
  readonly account: LocalAccount;
  readonly store: Store;
  readonly logger?: Logger;
  /** default 120 s */
  readonly timeoutMs?: number;
  /** receipt polling; default 500 ms */
  readonly pollingIntervalMs?: number;
  /** crash-test hooks: called after the signed tx is recorded, and after it was broadcast (before `sent` is recorded) */
  readonly hooks?: { readonly afterSign?: (hash: Hex) => void | Promise<void>; readonly afterBroadcast?: (hash: Hex) => void | Promise<void> };
}

export class TxSender {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(readonly opts: TxSenderOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  /**
   * Sends `req` once per `key`: returns the receipt summary, or throws ContractRevertError / TxTimeoutError
   * (or the RPC error, with the action left resumable).
   */
  write<const TAbi extends Abi, TName extends ContractFunctionName<TAbi, "nonpayable" | "payable">>(req: WriteRequest<TAbi, TName>, opts: WriteOptions): Promise<TxResult> {
    const run = this.queue.then(() => this.writeNow(req as unknown as WriteRequest<Abi, string>, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private describe(req: WriteRequest<Abi, string>): string {
    return `${req.functionName}@${req.address.toLowerCase()}`;
  }

  private async writeNow(req: WriteRequest<Abi, string>, opts: WriteOptions): Promise<TxResult> {
    const { store } = this.opts;
    const key = opts.key;
    const what = this.describe(req);
    const data = encodeFunctionData({ abi: req.abi, functionName: req.functionName, args: req.args as readonly unknown[] });
    const { action } = store.actions.begin(key, "tx", { call: what, to: req.address, data, value: (req.value ?? 0n).toString() });
    const payload = action.payload as { call: string; data: Hex };
    // INVARIANT: one key, one call: the same key for different calldata is refused, never sent.
    if (payload.call !== what || payload.data !== data) throw new TxKeyConflictError(key, payload.call, what);
    const events = store.actions.events(key);
    const signed = [...events].reverse().find((e) => e.status === "signed")?.detail as SignedDetail | undefined;
    switch (action.status) {
      case "confirmed": {
        const d = action.detail as { hash: Hex; blockNumber: string; gasUsed: string };
        return { key, hash: d.hash, blockNumber: BigInt(d.blockNumber), gasUsed: BigInt(d.gasUsed), reused: true };
      }
      case "reverted": {
        const d = action.detail as { hash: Hex; errorName: string; args: Json[]; data?: Hex };
        throw new ContractRevertError(d.errorName, d.args, { functionName: req.functionName, address: req.address, stage: "receipt", txHash: d.hash, data: d.data, key });
      }
      case "signed":
      case "sent":
        if (signed) {
          const resumed = await this.resume(req, key, signed, opts);
          if (resumed) return resumed;
        }
        break;
      default: // intent, rejected, replaced: nothing of ours can be mined; sign afresh
    }
    return this.sendFresh(req, key, data, opts);
  }

  /** Picks up a transaction signed before a crash: its receipt, or the same bytes again. null = its nonce was spent elsewhere. */
  private async resume(req: WriteRequest<Abi, string>, key: string, s: SignedDetail, opts: WriteOptions): Promise<TxResult | null> {
    const pc = this.opts.publicClient;
    const receipt = await pc.getTransactionReceipt({ hash: s.hash }).catch((err: unknown) => {
      if (err instanceof TransactionReceiptNotFoundError) return null;
      throw err;
    });
    if (receipt) {
      this.log.info({ key, hash: s.hash }, "found the transaction sent before a restart, mined");
      return this.finish(req, key, receipt);
    }
    const pending = await pc.getTransaction({ hash: s.hash }).catch((err: unknown) => {
      if (err instanceof TransactionNotFoundError) return null;
      throw err;
    });
    if (!pending) {
      const used = await pc.getTransactionCount({ address: this.opts.account.address, blockTag: "latest" });
      if (used > s.nonce) {
        // INVARIANT: our signed tx can never be mined now (its nonce is spent by another one), so signing anew cannot pay twice.
        this.opts.store.actions.append(key, "replaced", { hash: s.hash, nonce: s.nonce });
        this.log.warn({ key, hash: s.hash, nonce: s.nonce }, "recorded transaction never mined and its nonce is spent; signing again");
        return null;
      }
      this.log.info({ key, hash: s.hash }, "rebroadcasting the transaction signed before a restart");
      await this.broadcast(s.raw, s.hash);
      this.opts.store.actions.append(key, "sent", { hash: s.hash, nonce: s.nonce });
    }
    return this.finish(req, key, await this.wait(key, s.hash, opts));
  }

  private async sendFresh(req: WriteRequest<Abi, string>, key: string, data: Hex, opts: WriteOptions): Promise<TxResult> {
    const { publicClient: pc, account, store } = this.opts;
    try {
      await pc.simulateContract({ account, address: req.address, abi: req.abi, functionName: req.functionName, args: req.args as readonly unknown[], value: req.value, gas: req.gas });
    } catch (err) {
      const rev = decodeRevert(err);
      if (!rev) throw err;
      store.actions.append(key, "rejected", toJson({ errorName: rev.errorName, args: rev.args, data: rev.data ?? null }));
      throw new ContractRevertError(rev.errorName, rev.args, { functionName: req.functionName, address: req.address, stage: "simulation", data: rev.data, key }, { cause: err });
    }
    const prepared = await prepareTransactionRequest(pc, { account, to: req.address, data, value: req.value, gas: req.gas, chain: pc.chain ?? null });
    const raw = await account.signTransaction(prepared as Parameters<LocalAccount["signTransaction"]>[0]);
    const hash = keccak256(raw);
    // INVARIANT: the signed bytes are on disk before they can reach the network.
    store.actions.append(key, "signed", { hash, raw, nonce: prepared.nonce });
    await this.opts.hooks?.afterSign?.(hash);
    await this.broadcast(raw, hash);
    await this.opts.hooks?.afterBroadcast?.(hash);
    store.actions.append(key, "sent", { hash, nonce: prepared.nonce });
    this.log.info({ key, hash, call: this.describe(req), nonce: prepared.nonce }, "transaction sent");
    return this.finish(req, key, await this.wait(key, hash, opts));
  }

  private async broadcast(raw: Hex, hash: Hex): Promise<void> {
    const pc = this.opts.publicClient;
    try {
      await pc.sendRawTransaction({ serializedTransaction: raw });
    } catch (err) {
      // A node may answer an error although it took the tx (already known; or Hardhat's automine reporting the
      // revert of the tx it just mined): if the chain knows the hash, it was broadcast.
      const known = await pc.getTransaction({ hash }).catch(() => null);
      if (!known) throw err;
    }
  }

  private async wait(key: string, hash: Hex, opts: WriteOptions): Promise<TransactionReceipt> {
    const timeout = opts.timeoutMs ?? this.opts.timeoutMs ?? 120_000;
    try {
      return await this.opts.publicClient.waitForTransactionReceipt({ hash, timeout, pollingInterval: this.opts.pollingIntervalMs ?? 500 });
    } catch (err) {
      if (err instanceof WaitForTransactionReceiptTimeoutError) throw new TxTimeoutError(hash, timeout, key);
      throw err;
    }
  }

  private async finish(req: WriteRequest<Abi, string>, key: string, receipt: TransactionReceipt): Promise<TxResult> {
    const { store } = this.opts;
    if (receipt.status === "success") {
      store.actions.append(key, "confirmed", { hash: receipt.transactionHash, blockNumber: receipt.blockNumber.toString(), gasUsed: receipt.gasUsed.toString() });
      return { key, hash: receipt.transactionHash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, reused: false };
    }
    const rev = await this.revertOf(req, receipt);
    store.actions.append(key, "reverted", toJson({ hash: receipt.transactionHash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, errorName: rev.errorName, args: rev.args, data: rev.data ?? null }));
    this.log.warn({ key, hash: receipt.transactionHash, errorName: rev.errorName }, "mined transaction reverted");
    throw new ContractRevertError(rev.errorName, rev.args, { functionName: req.functionName, address: req.address, stage: "receipt", txHash: receipt.transactionHash, data: rev.data, key });
  }

  /** The revert data of a mined transaction: from a call trace where the node has one, else by replaying the call. */
  private async revertOf(req: WriteRequest<Abi, string>, receipt: TransactionReceipt): Promise<DecodedRevert> {
    const pc = this.opts.publicClient;
    try {
      const trace = (await pc.request({ method: "debug_traceTransaction" as never, params: [receipt.transactionHash, { tracer: "callTracer" }] as never })) as { output?: Hex };
      if (trace?.output && trace.output !== "0x") return decodeData(req.abi, trace.output);
    } catch {
      /* no debug namespace on this node: replay below */
    }
    for (const blockNumber of [receipt.blockNumber - 1n, receipt.blockNumber]) {
      try {
        await pc.simulateContract({ account: this.opts.account, address: req.address, abi: req.abi, functionName: req.functionName, args: req.args as readonly unknown[], value: req.value, blockNumber });
      } catch (err) {
        const rev = decodeRevert(err);
        if (rev) return rev;
      }
    }
    return { errorName: "UnknownRevert", args: [] };
  }
}

export interface DecodedRevert {
  readonly errorName: string;
  readonly args: readonly unknown[];
  readonly data?: Hex;
}

/** The decoded revert inside a viem error (null if the error is not a revert: RPC failure, bad input …). */
export function decodeRevert(err: unknown): DecodedRevert | null {
  if (!(err instanceof BaseError)) return null;
  const rev = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  if (!rev) return null;
  if (rev.data) return { errorName: rev.data.errorName, args: rev.data.args ?? [], data: rev.raw };
  if (rev.reason !== undefined) return { errorName: "Error", args: [rev.reason], data: rev.raw };
  return { errorName: rev.raw && rev.raw !== "0x" ? "UnknownError" : "EmptyRevert", args: rev.signature ? [rev.signature] : [], data: rev.raw };
}

function decodeData(abi: Abi, data: Hex): DecodedRevert {
  try {
    const d = decodeErrorResult({ abi, data });
    return { errorName: d.errorName, args: d.args ?? [], data };
  } catch {
    return { errorName: "UnknownError", args: [data.slice(0, 10)], data };
  }
}
