/**
 * Test fixtures: a real `hardhat node` JSON-RPC chain on 127.0.0.1 as a child process (killed by pid at the end, also
 * when a test fails or the runner exits), and the EventEmitterHarness contract deployed on it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, http, type Abi, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** Hardhat's well-known development keys (accounts #0 and #1 of the default mnemonic; test only). */
export const DEV_KEYS: readonly Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
];

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) if (c.exitCode === null && c.pid) process.kill(c.pid, "SIGKILL");
});

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

export class HardhatNode {
  private tail = "";
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => {
      this.tail = (this.tail + d.toString()).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts `hardhat node --hostname 127.0.0.1 --port <port>` and waits until eth_chainId answers (≤ 60 s). */
  static async start(port?: number): Promise<HardhatNode> {
    const p = port ?? (await freePort());
    const bin = join(ROOT, "node_modules", ".bin");
    const child = spawn(join(bin, "hardhat"), ["node", "--hostname", "127.0.0.1", "--port", String(p)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
    });
    live.add(child);
    child.on("exit", () => live.delete(child));
    const node = new HardhatNode(p, child);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`hardhat node exited with ${child.exitCode}: ${node.tail}`);
      try {
        await rpc(node.url, "eth_chainId");
        return node;
      } catch {
        if (Date.now() > deadline) {
          await node.stop();
          throw new Error(`hardhat node did not answer on ${node.url} within 60 s: ${node.tail}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Kills the node by its pid (SIGTERM, SIGKILL after 5 s) and waits for it to exit. */
  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    process.kill(c.pid!, "SIGTERM");
    const timer = setTimeout(() => c.exitCode === null && c.signalCode === null && process.kill(c.pid!, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }

  rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return rpc<T>(this.url, method, params);
  }

  async mine(blocks = 1): Promise<void> {
    await this.rpc("hardhat_mine", [`0x${blocks.toString(16)}`]);
  }
}

interface Artifact {
  abi: Abi;
  bytecode: Hex;
}

export function harnessArtifact() {
  const path = join(ROOT, "artifacts", "contracts", "harness", "EventEmitterHarness.sol", "EventEmitterHarness.json");
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npx hardhat build\` first`);
  return JSON.parse(readFileSync(path, "utf8")) as Artifact;
}

export function clients(url: string, key: Hex = DEV_KEYS[0]!) {
  const account = privateKeyToAccount(key);
  const publicClient = createPublicClient({ chain: hardhat, transport: http(url, { retryCount: 0 }), cacheTime: 0, pollingInterval: 50 }) as PublicClient;
  const wallet = createWalletClient({ chain: hardhat, transport: http(url, { retryCount: 0 }), account });
  return { account, publicClient, wallet };
}

/** Deploys EventEmitterHarness from `key`; returns its address and deploy block. */
export async function deployHarness(url: string, key: Hex = DEV_KEYS[0]!): Promise<{ address: Address; block: bigint }> {
  const { publicClient, wallet } = clients(url, key);
  const art = harnessArtifact();
  const hash = await wallet.deployContract({ abi: art.abi, bytecode: art.bytecode });
  const r = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (!r.contractAddress) throw new Error("deployment failed");
  return { address: r.contractAddress, block: r.blockNumber };
}
