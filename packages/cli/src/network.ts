/**
 * Networks the CLI knows, where their RPC URL and key come from, and the guard against pointing a command at the
 * wrong chain. Nothing secret lives in the repository: remote RPC URLs and keys come from the environment.
 */
import { loadAccount, MissingKeyError } from "@refereed/client";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
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

/** Hardhat's first development account: public knowledge, only ever used on a local chain. */
export const LOCAL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;
/** Further development accounts of `hardhat node` (requester, trainers, challengers in the demo). */
export const LOCAL_DEV_KEYS = [
  LOCAL_DEV_KEY,
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3af1e5b6c6a8f13d",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdf4e0b52ec3",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
] as const;

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
    if (e instanceof MissingKeyError && network === "localhost") return privateKeyToAccount(LOCAL_DEV_KEYS[devIndex % LOCAL_DEV_KEYS.length]!);
    throw e;
  }
}
