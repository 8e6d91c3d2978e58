/**
 * Deploys the protocol (TrainerKeys, OneStepVerifier, Refereed) over JSON-RPC and records it in
 * deployments/<network>.json. Idempotent: a contract already recorded for the same chain id, whose code is on the
 * chain, is not deployed again.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { createPublicClient, createWalletClient, http, type Account, type Address, type Chain, type Hex } from "viem";
import { isArtifactCode, loadArtifact, repoRoot } from "./artifacts.js";

export interface DeployedContract {
  readonly address: Address;
  readonly txHash: Hex;
  readonly block: number;
}

export interface Deployment {
  readonly network: string;
  readonly chainId: number;
  readonly deployBlock: number;
  readonly deployer: Address;
  readonly contracts: {
    readonly TrainerKeys: DeployedContract;
    readonly OneStepVerifier: DeployedContract;
    readonly Refereed: DeployedContract;
  };
  readonly deployedAt: string;
}

type ContractName = "TrainerKeys" | "OneStepVerifier" | "Refereed";

export class DeploymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentError";
  }
}

export function deploymentPath(network: string, root = repoRoot): string {
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(network)) throw new DeploymentError(`network name ${JSON.stringify(network)} must be alphanumeric (with -)`);
  return join(root, "deployments", `${network}.json`);
}

export function readDeployment(network: string, root = repoRoot): Deployment | null {
  const p = deploymentPath(network, root);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, "utf8")) as Deployment;
  } catch (e) {
    throw new DeploymentError(`${p} is not valid JSON: ${(e as Error).message}`);
  }
}

export interface DeployOptions {
  readonly network: string;
  readonly rpcUrl: string;
  readonly account: Account;
  readonly root?: string;
  readonly log?: (line: string) => void;
}

export async function deployProtocol(opts: DeployOptions): Promise<{ deployment: Deployment; deployed: string[] }> {
  const log = opts.log ?? (() => {});
  const transport = http(opts.rpcUrl, { retryCount: 3, timeout: 30_000 });
  const publicClient = createPublicClient({ transport });
  const chainId = await publicClient.getChainId();
  const chain: Chain = { id: chainId, name: opts.network, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [opts.rpcUrl] } } };
  const wallet = createWalletClient({ account: opts.account, chain, transport });
  const previous = readDeployment(opts.network, opts.root);
  if (previous && previous.chainId !== chainId) {
    throw new DeploymentError(
      `deployments/${opts.network}.json is for chain ${previous.chainId} but ${opts.rpcUrl} is chain ${chainId}: wrong network, or move the old file away`,
    );
  }
  const deployed: string[] = [];

  async function deploy(name: ContractName, args: readonly unknown[]): Promise<DeployedContract> {
    const art = loadArtifact(name);
    const hash = await wallet.deployContract({ abi: art.abi, bytecode: art.bytecode, args, account: opts.account, chain });
    const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new DeploymentError(`${name}: deployment transaction ${hash} failed`);
    log(`${name}: deployed at ${receipt.contractAddress} (tx ${hash}, block ${receipt.blockNumber})`);
    deployed.push(name);
    return { address: receipt.contractAddress, txHash: hash, block: Number(receipt.blockNumber) };
  }

  /** The recorded contract if the code at its address is this build's, else null (deploy it again). */
  async function existing(name: ContractName): Promise<DeployedContract | null> {
    const prev = previous?.contracts[name];
    if (!prev) return null;
    const code = await publicClient.getCode({ address: prev.address });
    if (!code || code === "0x") {
      log(`${name}: recorded at ${prev.address} but there is no code there; deploying again`);
      return null;
    }
    // An older build (another SPEC revision, another proof layout) would refuse what this version's bots send.
    if (!isArtifactCode(loadArtifact(name), code)) {
      log(`${name}: the code at ${prev.address} is not this build's (an older version?); deploying again`);
      return null;
    }
    log(`${name}: already deployed at ${prev.address} (block ${prev.block})`);
    return prev;
  }

  const keys = (await existing("TrainerKeys")) ?? (await deploy("TrainerKeys", []));
  const verifier = (await existing("OneStepVerifier")) ?? (await deploy("OneStepVerifier", []));
  // Refereed binds its verifier and key registry at construction: new dependencies need a new Refereed.
  const refereed = deployed.length === 0 ? ((await existing("Refereed")) ?? (await deploy("Refereed", [verifier.address, keys.address]))) : await deploy("Refereed", [verifier.address, keys.address]);

  const deployment: Deployment = {
    network: opts.network,
    chainId,
    deployBlock: Math.min(keys.block, verifier.block, refereed.block),
    deployer: opts.account.address,
    contracts: { TrainerKeys: keys, OneStepVerifier: verifier, Refereed: refereed },
    deployedAt: deployed.length ? new Date().toISOString() : (previous?.deployedAt ?? new Date().toISOString()),
  };
  const path = deploymentPath(opts.network, opts.root);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(deployment, null, 2) + "\n");
  renameSync(`${path}.tmp`, path);
  return { deployment, deployed };
}
