/**
 * The Refereed contracts as the bots read them: ABIs from the compiled artifacts (one source of truth, the
 * Solidity), typed views over `getGame`, `jobState`, `getRollup`, credits and keys, the chain clock, an `eth_call`
 * of the one-step verifier, and the encoding of planned moves (one call, or a `multicall` of several).
 */
import {
  createPublicClient,
  encodeFunctionData,
  http,
  type Abi,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
} from "viem";
import { loadArtifact, type Deployment } from "@refereed/client";
import type { StepContext } from "@refereed/adjudication";
import { decodeGame, type GameView, type JobStatus, type RawGame, type RollupStatus } from "./game.js";
import type { RefereedCall } from "./moves.js";

export interface ContractRef {
  readonly address: Address;
  readonly abi: Abi;
}

export interface ProtocolContracts {
  readonly refereed: ContractRef;
  readonly keys: ContractRef;
  /** ABI of IOneStepVerifier (the address is read from Refereed.verifier()) */
  readonly verifierAbi: Abi;
}

/** The deployed contracts with their ABIs (from `artifacts/`, see `loadArtifact`). */
export function protocolContracts(deployment: Deployment): ProtocolContracts {
  return {
    refereed: { address: deployment.contracts.Refereed.address, abi: loadArtifact("Refereed").abi },
    keys: { address: deployment.contracts.TrainerKeys.address, abi: loadArtifact("TrainerKeys").abi },
    verifierAbi: loadArtifact("OneStepVerifier").abi,
  };
}

/** A public client for `rpcUrl` (no transport retries: the bots retry with their own backoff). */
export async function makePublicClient(rpcUrl: string, pollingIntervalMs = 250): Promise<PublicClient> {
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 2, timeout: 30_000 }) });
  const id = await probe.getChainId();
  const chain: Chain = { id, name: `chain-${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } };
  return createPublicClient({ chain, transport: http(rpcUrl, { retryCount: 2, timeout: 30_000 }), cacheTime: 0, pollingInterval: pollingIntervalMs }) as PublicClient;
}

/** `JobParams` of Refereed.sol as the JobCreated event carries it. */
export interface JobParams {
  readonly specHash: Hex;
  readonly templateRoot: Hex;
  readonly initialState: Hex;
  readonly datasetRoot: Hex;
  readonly datasetSize: bigint;
  readonly nodeCount: number;
  readonly dropoutLayers: number;
  readonly toleranceProfile: number;
  readonly stepsTotal: bigint;
  readonly rollupSteps: bigint;
  readonly challengeWindow: bigint;
  readonly trainerClock: bigint;
  readonly challengerClock: bigint;
  /** seconds the trainer has for each rollup (from acceptance, then from its previous submission) */
  readonly submissionTimeout: bigint;
  readonly trainerBond: bigint;
  readonly challengerBond: bigint;
}

export interface JobStateView {
  readonly status: JobStatus;
  readonly trainer: Address;
  readonly submitted: bigint;
  readonly finalized: bigint;
  readonly deadFrom: bigint;
  readonly trainerSlashed: boolean;
  readonly headState: Hex;
  readonly nonce: Hex;
}

export interface RollupRecord {
  readonly commitment: Hex;
  readonly submittedAt: bigint;
  readonly openGames: number;
  readonly status: RollupStatus;
}

/** Typed reads of the protocol contracts. */
export class ProtocolReader {
  private verifierAddress: Address | null = null;

  constructor(
    readonly client: PublicClient,
    readonly contracts: ProtocolContracts,
  ) {}

  private read<T>(c: ContractRef, functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.client.readContract({ address: c.address, abi: c.abi, functionName, args }) as Promise<T>;
  }

  async game(gameId: bigint): Promise<GameView> {
    return decodeGame(gameId, await this.read<RawGame>(this.contracts.refereed, "getGame", [gameId]));
  }

  async jobState(jobId: bigint): Promise<JobStateView> {
    const r = await this.read<readonly [number, Address, bigint, bigint, bigint, boolean, Hex, Hex]>(this.contracts.refereed, "jobState", [jobId]);
    return { status: Number(r[0]) as JobStatus, trainer: r[1], submitted: r[2], finalized: r[3], deadFrom: r[4], trainerSlashed: r[5], headState: r[6], nonce: r[7] };
  }

  async rollup(rollupId: bigint): Promise<RollupRecord> {
    const r = await this.read<{ commitment: Hex; submittedAt: bigint; openGames: number; status: number }>(this.contracts.refereed, "getRollup", [rollupId]);
    return { commitment: r.commitment, openGames: Number(r.openGames), status: Number(r.status) as RollupStatus, submittedAt: BigInt(r.submittedAt) };
  }

  async rollupStatus(rollupId: bigint): Promise<RollupStatus> {
    return Number(await this.read<number>(this.contracts.refereed, "rollupStatus", [rollupId])) as RollupStatus;
  }

  credits(account: Address): Promise<bigint> {
    return this.read<bigint>(this.contracts.refereed, "credits", [account]);
  }

  async keyOf(account: Address): Promise<{ keyHash: Hex; registeredBlock: bigint }> {
    const r = await this.read<readonly [Hex, bigint]>(this.contracts.keys, "keyOf", [account]);
    return { keyHash: r[0], registeredBlock: BigInt(r[1]) };
  }

  private latestSeen: { number: bigint; timestamp: bigint; at: number } | null = null;

  /** The latest block's timestamp: what a call simulated now sees (`eth_call` at "latest"). */
  async latestTimestamp(): Promise<bigint> {
    const b = await this.client.getBlock({ blockTag: "latest" });
    if (this.latestSeen?.number !== b.number) this.latestSeen = { number: b.number, timestamp: b.timestamp, at: Date.now() };
    return b.timestamp;
  }

  /**
   * The chain's clock now, as a transaction sent now would see it: the latest block's timestamp plus the wall-clock
   * time since that block was first seen (chain time runs between blocks; on a dev chain offset by evm_increaseTime
   * the offset is kept). Never below the latest timestamp; an underestimate when the block was first seen late.
   */
  async now(): Promise<bigint> {
    await this.latestTimestamp();
    const s = this.latestSeen!;
    return s.timestamp + BigInt(Math.floor((Date.now() - s.at) / 1000));
  }

  async verifier(): Promise<Address> {
    this.verifierAddress ??= await this.read<Address>(this.contracts.refereed, "verifier");
    return this.verifierAddress;
  }

  /** eth_call of the one-step verifier: the verdict the game's `step` would get (throws if the verifier reverts). */
  async verify(kind: "element" | "journal", ctx: StepContext, proof: Hex): Promise<boolean> {
    const address = await this.verifier();
    return (await this.client.readContract({
      address,
      abi: this.contracts.verifierAbi,
      functionName: kind === "element" ? "verifyElement" : "verifyJournalEntry",
      args: [ctx, proof],
    })) as boolean;
  }
}

/** calldata of one planned call. */
export function encodeCall(abi: Abi, call: RefereedCall): Hex {
  return encodeFunctionData({ abi, functionName: call.functionName, args: call.args as readonly unknown[] });
}

/** A write request for `calls`: the call itself if there is one, else `multicall(bytes[])`. */
export function callRequest(refereed: ContractRef, calls: readonly RefereedCall[]): { address: Address; abi: Abi; functionName: string; args: readonly unknown[] } {
  if (calls.length === 0) throw new RangeError("no calls to send");
  if (calls.length === 1) return { address: refereed.address, abi: refereed.abi, functionName: calls[0]!.functionName, args: calls[0]!.args };
  return { address: refereed.address, abi: refereed.abi, functionName: "multicall", args: [calls.map((c) => encodeCall(refereed.abi, c))] };
}

/** Chain ids of dev chains that mine only when a transaction arrives (hardhat, anvil). */
export const DEV_CHAIN_IDS: readonly number[] = [31337, 1337];

/**
 * On a dev chain that mines only on transactions, calls are simulated against the latest block, whose timestamp and
 * number stand still while nobody sends anything: a finalization whose window has passed in real time still
 * simulates as `WindowOpen`, an acceptance as `KeyTooFresh`. `ChainNudger.ensure` then sends a no-op transaction
 * (`Refereed.multicall([])`) so that a new block exists; on other chains (and when disabled) it does nothing.
 */
export class ChainNudger {
  private last = 0;

  constructor(
    private readonly opts: {
      readonly enabled: boolean;
      readonly reader: ProtocolReader;
      readonly send: (key: string) => Promise<unknown>;
      readonly keyPrefix: string;
      readonly minIntervalMs?: number;
      readonly log?: (msg: string, obj: Record<string, unknown>) => void;
    },
  ) {}

  /** Makes sure the latest block has timestamp >= `t` (when chain time says it should) or number > `block`. */
  async ensure(want: { readonly timestamp?: bigint; readonly blockAfter?: bigint }): Promise<boolean> {
    if (!this.opts.enabled) return false;
    const r = this.opts.reader;
    const latestTs = await r.latestTimestamp();
    const stale =
      (want.timestamp !== undefined && latestTs < want.timestamp && (await r.now()) >= want.timestamp) ||
      (want.blockAfter !== undefined && (await r.client.getBlockNumber({ cacheTime: 0 })) <= want.blockAfter);
    if (!stale || Date.now() - this.last < (this.opts.minIntervalMs ?? 1000)) return false;
    this.last = Date.now();
    this.opts.log?.("dev chain idle: mining a block with a no-op transaction", { ...want });
    await this.opts.send(`${this.opts.keyPrefix}:nudge:${Date.now()}`);
    return true;
  }
}
