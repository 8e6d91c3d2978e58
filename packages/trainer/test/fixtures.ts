/**
 * Fixtures of the bots' integration tests: a real `hardhat node` on 127.0.0.1 (child process, killed by pid), the
 * protocol deployed over JSON-RPC with `deployProtocol`, funded accounts, a small MNIST job (784-16-10 with dropout,
 * batch 8, 64 training digits) created by a requester, and polling helpers. Time is advanced with evm_increaseTime +
 * evm_mine, as on a dev chain.
 */
import { after, before } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, createWalletClient, decodeFunctionData, http, parseEther, parseEventLogs, type Abi, type Address, type Hex, type LocalAccount, type PublicClient, type TransactionReceipt } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { deployProtocol, loadArtifact, silentLogger, type Deployment, type Logger } from "@refereed/client";
import { vrfKeygen } from "@refereed/core";
import { datasetRoot, loadMnist, makeJobSpec, type JobSpec, type MlpConfig } from "@refereed/engine";
import { jobParamsForSpec, trainerBondAward, type JobTerms } from "@refereed/trainer";
import { HardhatNode, freePort } from "../../client/test/chain.js";

export { HardhatNode, freePort };

export const MODEL: MlpConfig = { sizes: [784, 16, 10], batch: 8, dropout: [{ num: 1, den: 5 }], lr: 0.05, momentum: 0.9 };
export const TRAIN_EXAMPLES = 64;

export const TERMS: JobTerms = {
  rollupSteps: 3,
  challengeWindow: 600,
  trainerClock: 300,
  challengerClock: 300,
  submissionTimeout: 3_600,
  trainerBond: parseEther("1"),
  challengerBond: parseEther("0.1"),
};
export const REWARD = parseEther("0.9");
/** What the winning challenger gets of a caught trainer's bond; the requester gets the rest (docs/GAME.md §6). */
export const AWARD = trainerBondAward(TERMS.trainerBond);
export const BOND_REST = TERMS.trainerBond - AWARD;

/** What `Chain.account` and `Chain.keyedAccount` fund every account with. */
export const FUNDED = parseEther("100");

/** Refereed's `jobState` view as viem returns it. */
export type JobStateTuple = readonly [number, Address, bigint, bigint, bigint, boolean, Hex, Hex];

export function tempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `refereed-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A job spec for `steps` steps directed at the VRF key of `vrfSeed`. */
export function makeSpec(vrfSeed: Uint8Array, steps: number, initSeedByte = 1): JobSpec {
  const { train } = loadMnist(TRAIN_EXAMPLES);
  return makeJobSpec({
    model: MODEL,
    datasetRoot: datasetRoot(train),
    trainExamples: TRAIN_EXAMPLES,
    steps,
    initSeed: new Uint8Array(32).fill(initSeedByte),
    vrfKey: vrfKeygen(vrfSeed).pk,
    seedScheme: "bls12-381",
  });
}

/** A contract call as viem's writeContract takes it (without the account and the chain). */
export type SendRequest = { readonly address: Address; readonly abi: Abi; readonly functionName: string; readonly args?: readonly unknown[]; readonly value?: bigint };

export interface Chain {
  readonly node: HardhatNode;
  readonly url: string;
  readonly deployment: Deployment;
  readonly publicClient: PublicClient;
  /** a fresh funded account */
  account(): Promise<LocalAccount>;
  /** a fresh funded account with its private key (for a bot's config) */
  keyedAccount(): Promise<{ readonly privateKey: Hex; readonly account: LocalAccount }>;
  /** sends a contract call from `from` (a wallet-ready request: address, abi, functionName, args, value); requires
   * success; returns the receipt */
  send(from: LocalAccount, req: SendRequest): Promise<TransactionReceipt>;
  /** creates a job for `spec` from `requester`; returns its id */
  createJob(requester: LocalAccount, spec: JobSpec, terms?: JobTerms, reward?: bigint): Promise<bigint>;
  /** advances chain time by `seconds` and mines a block */
  advance(seconds: number): Promise<void>;
  read<T>(functionName: string, args?: readonly unknown[]): Promise<T>;
  /** Withdrawn amounts of `who` so far */
  withdrawn(who: Address): Promise<bigint>;
  stop(): Promise<void>;
}

export async function startChain(root: string): Promise<Chain> {
  const node = await HardhatNode.start();
  const url = node.url;
  const publicClient = createPublicClient({ transport: http(url, { retryCount: 0 }), cacheTime: 0, pollingInterval: 50 }) as PublicClient;
  const chainId = await publicClient.getChainId();
  const chain = { id: chainId, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } } as const;
  const keyedAccount = async () => {
    const privateKey = generatePrivateKey();
    const account = privateKeyToAccount(privateKey);
    await node.rpc("hardhat_setBalance", [account.address, `0x${FUNDED.toString(16)}`]);
    return { privateKey, account };
  };
  const account = async (): Promise<LocalAccount> => (await keyedAccount()).account;
  const deployer = await account();
  const { deployment } = await deployProtocol({ network: "e2e", rpcUrl: url, account: deployer, root, log: () => {} });
  const refereed = { address: deployment.contracts.Refereed.address, abi: loadArtifact("Refereed").abi };
  const send = async (from: LocalAccount, req: SendRequest): Promise<TransactionReceipt> => {
    const wallet = createWalletClient({ account: from, chain, transport: http(url) });
    const hash = await wallet.writeContract(req as Parameters<typeof wallet.writeContract>[0]);
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== "success") throw new Error(`${req.functionName} from ${from.address} reverted (tx ${hash})`);
    return receipt;
  };
  return {
    node,
    url,
    deployment,
    publicClient,
    account,
    keyedAccount,
    send,
    async createJob(requester, spec, terms = TERMS, reward = REWARD) {
      const receipt = await send(requester, { ...refereed, functionName: "createJob", args: [jobParamsForSpec(spec, terms)], value: reward });
      const ev = parseEventLogs({ abi: refereed.abi, logs: receipt.logs, eventName: "JobCreated" }) as unknown as { args: { jobId: bigint } }[];
      return ev[0]!.args.jobId;
    },
    async advance(seconds) {
      await node.rpc("evm_increaseTime", [seconds]);
      await node.rpc("evm_mine", []);
    },
    read: <T>(functionName: string, args: readonly unknown[] = []) => publicClient.readContract({ ...refereed, functionName, args }) as Promise<T>,
    async withdrawn(who) {
      const logs = await publicClient.getContractEvents({ ...refereed, eventName: "Withdrawn", args: { account: who }, fromBlock: 0n });
      return logs.reduce((s, l) => s + ((l as unknown as { args: { amount: bigint } }).args.amount ?? 0n), 0n);
    },
    stop: () => node.stop(),
  };
}

/**
 * A `hardhat node` with the protocol for the tests of one file, in a temporary directory: started before them, stopped
 * (after `beforeStop`) and removed after them. `set` receives the chain once it is up.
 */
export function useChain(label: string, set: (c: Chain) => void, beforeStop?: (c: Chain) => Promise<void> | void): { readonly dir: string } {
  const tmp = tempDir(label);
  let chain: Chain | undefined;
  before(async () => {
    chain = await startChain(tmp.dir);
    set(chain);
  });
  after(async () => {
    if (chain) await beforeStop?.(chain);
    await chain?.stop();
    tmp.cleanup();
  });
  return { dir: tmp.dir };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`, naming `what`). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 90_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A logger for tests: silent unless REFEREED_TEST_LOGS is set (then pino on stderr at debug). */
export async function testLogger(name: string): Promise<Logger> {
  if (!process.env.REFEREED_TEST_LOGS) return silentLogger;
  const { createLogger } = await import("@refereed/client");
  const { pino } = await import("pino");
  return createLogger({ name, level: "debug", destination: pino.destination({ dest: 2, sync: true }) });
}

export const hexOf = (h: Hex) => h;

/** A transaction an account sent, as mined. */
export interface SentTx {
  readonly hash: Hex;
  readonly block: bigint;
  /** the Refereed function called (decoded with its ABI), or null for any other destination */
  readonly functionName: string | null;
  readonly success: boolean;
  /** gasUsed · effectiveGasPrice (wei) */
  readonly fee: bigint;
}

/** Every transaction `from` sent on `chain` (scans all blocks: dev chains only), in order. */
export async function transactionsFrom(chain: Chain, from: Address): Promise<SentTx[]> {
  const abi = loadArtifact("Refereed").abi;
  const refereed = chain.deployment.contracts.Refereed.address.toLowerCase();
  const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  const out: SentTx[] = [];
  for (let b = 0n; b <= head; b++) {
    const block = await chain.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
    for (const t of block.transactions) {
      if (t.from.toLowerCase() !== from.toLowerCase()) continue;
      const r = await chain.publicClient.getTransactionReceipt({ hash: t.hash });
      let functionName: string | null = null;
      if (t.to?.toLowerCase() === refereed) functionName = decodeFunctionData({ abi, data: t.input }).functionName;
      out.push({ hash: t.hash, block: b, functionName, success: r.status === "success", fee: r.gasUsed * r.effectiveGasPrice });
    }
  }
  return out;
}
