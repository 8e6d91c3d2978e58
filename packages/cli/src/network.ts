/**
 * Networks the CLI knows, where their RPC URL and key come from, and the guard against pointing a command at the
 * wrong chain. Nothing secret lives in the repository: remote RPC URLs and keys come from the environment.
 */
import { loadAccount, MissingKeyError } from "@refereed/client";
import { toHex, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { UsageError } from "./errors.js";

export interface NetworkInfo {
  readonly name: string;
  readonly chainId?: number;
  readonly rpcEnv?: string;
  readonly defaultRpc?: string;
}

export const NETWORKS: Record<string, NetworkInfo> = {
  localhost: { name: "localhost", chainId: 31337, defaultRpc: "http://127.0.0.1:8545" },
  sepolia: { name: "sepolia", chainId: 11155111, rpcEnv: "SEPOLIA_RPC_URL" },
  hoodi: { name: "hoodi", chainId: 560048, rpcEnv: "HOODI_RPC_URL" },
};

/** The mnemonic of `hardhat node`'s funded development accounts: public knowledge, only ever used on a local chain. */
export const LOCAL_DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Private key of development account `i` (0-based; `hardhat node` funds the first 20). */
export function localDevKey(i: number): Hex {
  const hd = mnemonicToAccount(LOCAL_DEV_MNEMONIC, { addressIndex: i }).getHdKey();
  if (!hd.privateKey) throw new Error(`cannot derive development key ${i}`);
  return toHex(hd.privateKey);
}

export function networkInfo(name: string): NetworkInfo {
  return NETWORKS[name] ?? { name };
}

export function resolveRpc(network: string, rpc: string | undefined, env = process.env): string {
  if (rpc) {
    try {
      new URL(rpc);
    } catch {
      throw new UsageError("--rpc", `--rpc must be a URL, got '${rpc}'`);
    }
    return rpc;
  }
  const info = networkInfo(network);
  if (info.rpcEnv && env[info.rpcEnv]) return env[info.rpcEnv]!;
  if (info.defaultRpc) return info.defaultRpc;
  throw new UsageError("--rpc", `no RPC URL for network '${network}': pass --rpc <url>${info.rpcEnv ? ` or set ${info.rpcEnv}` : ""}`);
}

export function checkChainId(network: string, chainId: number): void {
  const want = networkInfo(network).chainId;
  if (want !== undefined && want !== chainId) {
    throw new UsageError("--network", `wrong network: '${network}' is chain ${want}, but the RPC endpoint serves chain ${chainId}`);
  }
}

/** The account for a command: --keystore, REFEREED_PRIVATE_KEY, or (localhost only) a development key. */
export async function resolveAccount(network: string, keystore: string | undefined, devIndex = 0): Promise<PrivateKeyAccount> {
  try {
    return await loadAccount(keystore ? { keystore } : {});
  } catch (e) {
    if (e instanceof MissingKeyError && network === "localhost") return privateKeyToAccount(localDevKey(devIndex));
    throw e;
  }
}
