import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseAbi, type Address, type Hex } from "viem";
import { ChainFollower, Store, createLogger, type LogBatch, type ReorgInfo } from "../src/index.js";
import { HardhatNode, clients, deployHarness, freePort, harnessArtifact } from "./chain.js";

const EVENTS = parseAbi(["event ValueEmitted(uint256 indexed seq, uint256 value, address indexed sender)"]);
type Seen = { value: bigint; seq: bigint; block: bigint; hash: Hex };

let node: HardhatNode;
before(async () => {
  node = await HardhatNode.start();
});
after(async () => {
  await node?.stop();
});

function tempStore(t: { after: (fn: () => void) => void }): Store {
  const dir = mkdtempSync(join(tmpdir(), "refereed-follower-"));
  const s = Store.open(join(dir, "bot.db"));
  t.after(() => {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return s;
}

/** A consumer that derives its state (the values seen) from the logs, and drops what a reorg voids. */
function consumer() {
  const seen: Seen[] = [];
  const reorgs: ReorgInfo[] = [];
  return {
    seen,
    reorgs,
    values: () => seen.map((s) => Number(s.value)),
    onLogs(b: LogBatch<typeof EVENTS>) {
      for (const l of b.logs) seen.push({ value: l.args.value, seq: l.args.seq, block: l.blockNumber, hash: l.blockHash });
    },
    onReorg(r: ReorgInfo) {
      reorgs.push(r);
      for (let i = seen.length - 1; i >= 0; i--) if (seen[i]!.block > r.forkBlock) seen.splice(i, 1);
    },
  };
}

async function emit(url: string, address: Address, ...values: number[]): Promise<bigint> {
  const { wallet, publicClient } = clients(url);
  const abi = harnessArtifact().abi;
  const hash =
    values.length === 1
      ? await wallet.writeContract({ address, abi, functionName: "emitValue", args: [BigInt(values[0]!)] })
      : await wallet.writeContract({ address, abi, functionName: "emitMany", args: [values.map(BigInt)] });
  return (await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 })).blockNumber;
}

async function drain(f: ChainFollower<typeof EVENTS>): Promise<void> {
  for (let i = 0; i < 100; i++) if ((await f.poll()).caughtUp) return;
  throw new Error("follower did not catch up in 100 polls");
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("logs are delivered in order, in bounded ranges, only once they have `confirmations` confirmations", async () => {
  const { address, block: deployBlock } = await deployHarness(node.url);
  const c = consumer();
  const f = new ChainFollower({ client: node.url, address, abi: EVENTS, fromBlock: deployBlock, confirmations: 3, maxBlockRange: 2n, onLogs: c.onLogs });
  const b = await emit(node.url, address, 11);
  await drain(f);
  assert.deepEqual(c.values(), [], "1 confirmation: not delivered");
  await node.mine(1);
  await drain(f);
  assert.deepEqual(c.values(), [], "2 confirmations: not delivered");
  assert.equal(f.position.number, b - 1n);
  await node.mine(1);
  await drain(f);
  assert.deepEqual(c.values(), [11], "3 confirmations: delivered");
  assert.equal(f.position.number, b);
  await emit(node.url, address, 12, 13, 14);
  await emit(node.url, address, 15);
  await node.mine(5);
  let polls = 0;
  for (; !(await f.poll()).caughtUp; ) polls++;
  assert.ok(polls >= 2, `ranges of at most 2 blocks: ${polls} polls`);
  assert.deepEqual(c.values(), [11, 12, 13, 14, 15]);
  assert.deepEqual(c.seen.map((s) => Number(s.seq)), [1, 2, 3, 4, 5]);
});

test("a restarted follower resumes from the cursor persisted in the store, without redelivering", async (t) => {
  const store = tempStore(t);
  const { address, block } = await deployHarness(node.url);
  await emit(node.url, address, 1);
  await emit(node.url, address, 2);
  await node.mine(1);
  const c1 = consumer();
  await drain(new ChainFollower({ client: node.url, address, abi: EVENTS, fromBlock: block, confirmations: 1, store, onLogs: c1.onLogs }));
  assert.deepEqual(c1.values(), [1, 2]);
  await emit(node.url, address, 3);
  const c2 = consumer();
  const f2 = new ChainFollower({ client: node.url, address, abi: EVENTS, fromBlock: block, confirmations: 1, store, onLogs: c2.onLogs });
  assert.ok(f2.position.number > block, "cursor restored");
  await drain(f2);
  assert.deepEqual(c2.values(), [3]);
});

test("a reorg of delivered blocks (evm_snapshot / evm_revert + new blocks) rewinds to the fork point and emits `reorg`", async (t) => {
  const store = tempStore(t);
  const { address, block } = await deployHarness(node.url);
  await emit(node.url, address, 1);
  await node.mine(2);
  const c = consumer();
  const f = new ChainFollower({ client: node.url, address, abi: EVENTS, fromBlock: block, confirmations: 2, store, onLogs: c.onLogs, onReorg: c.onReorg });
  const events: ReorgInfo[] = [];
  f.on("reorg", (r) => events.push(r));
  await drain(f);
  assert.deepEqual(c.values(), [1]);
  const snap = await node.rpc<string>("evm_snapshot");
  const forkHead = await clients(node.url).publicClient.getBlockNumber();
  await emit(node.url, address, 2);
  await emit(node.url, address, 3);
  await node.mine(2);
  await drain(f);
  assert.deepEqual(c.values(), [1, 2, 3]);
  const orphaned = f.position;
  // the chain drops the last blocks and grows another branch, longer than the old one
  assert.equal(await node.rpc("evm_revert", [snap]), true);
  await emit(node.url, address, 40);
  await node.mine(5);
  const r = await f.poll();
  assert.equal(r.reorg, true);
  assert.equal(events.length, 1);
  const info = events[0]!;
  assert.equal(info.deep, false);
  assert.ok(info.forkBlock <= forkHead, `fork ${info.forkBlock} at or before ${forkHead}`);
  assert.equal(info.fromBlock, orphaned.number);
  assert.equal(info.fromHash, orphaned.hash);
  assert.notEqual(info.canonicalHash, orphaned.hash);
  assert.deepEqual(c.values(), [1], "state derived from orphaned blocks is dropped");
  await drain(f);
  assert.deepEqual(c.values(), [1, 40]);
  // the rewound cursor was persisted: a restarted follower continues on the new branch
  const saved = new ChainFollower({ client: node.url, address, abi: EVENTS, fromBlock: block, confirmations: 2, store });
  assert.equal(saved.position.number, f.position.number);
  assert.equal(saved.position.hash, f.position.hash);
});

/** A TCP proxy in front of the node that can be taken down and brought back on the same port. */
async function proxy(target: number) {
  const port = await freePort();
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  const up = async () => {
    server = createServer((client) => {
      const upstream = createConnection({ host: "127.0.0.1", port: target });
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
    });
    await new Promise<void>((r) => server!.listen(port, "127.0.0.1", r));
  };
  const down = async () => {
    sockets.forEach((s) => s.destroy());
    sockets.clear();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
  };
  await up();
  return { url: `http://127.0.0.1:${port}`, up, down };
}

function logLines() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ name: "test", level: "debug", destination: sink }) };
}

test("while the RPC endpoint is unreachable the follower backs off, logs the outage once, and resumes where it stopped", async (t) => {
  const { address, block } = await deployHarness(node.url);
  const px = await proxy(node.port);
  t.after(() => px.down());
  const c = consumer();
  const { lines, logger } = logLines();
  const f = new ChainFollower({ client: px.url, address, abi: EVENTS, fromBlock: block, confirmations: 1, pollIntervalMs: 50, initialBackoffMs: 40, maxBackoffMs: 200, onLogs: c.onLogs, logger });
  const downs: Error[] = [];
  const ups: { failures: number }[] = [];
  f.on("rpc-down", (e) => downs.push(e));
  f.on("rpc-up", (i) => ups.push(i));
  f.start();
  t.after(() => f.stop());
  await emit(node.url, address, 1);
  await until(() => c.values().length === 1, 10_000, "first log");
  await px.down();
  // the chain goes on while the follower cannot see it
  await emit(node.url, address, 2);
  await emit(node.url, address, 3);
  await until(() => downs.length === 1, 10_000, "rpc-down");
  await new Promise((r) => setTimeout(r, 1200)); // several failed attempts (backoff capped at 200 ms)
  assert.equal(f.rpcDown, true);
  await px.up();
  await until(() => ups.length === 1 && c.values().length === 3, 10_000, "recovery");
  await f.stop();
  assert.deepEqual(c.values(), [1, 2, 3], "nothing lost, nothing twice");
  assert.equal(downs.length, 1);
  assert.ok(ups[0]!.failures >= 4, `retried ${ups[0]!.failures} times`);
  assert.ok(ups[0]!.failures <= 40, `backoff bounds the retries: ${ups[0]!.failures}`);
  const warn = lines.filter((l) => l.msg === "RPC endpoint unreachable; retrying with backoff");
  const back = lines.filter((l) => l.msg === "RPC endpoint reachable again; resuming");
  assert.equal(warn.length, 1, "outage logged once");
  assert.equal(back.length, 1);
  assert.equal(back[0]!.failures, ups[0]!.failures);
});

test("the node killed and restarted on the same port: the follower waits it out, then sees the chain reset and re-follows", async (t) => {
  const first = await HardhatNode.start();
  let second: HardhatNode | null = null;
  t.after(async () => {
    await first.stop();
    await second?.stop();
  });
  const { address, block } = await deployHarness(first.url);
  await emit(first.url, address, 1);
  await emit(first.url, address, 2);
  await first.mine(3);
  const c = consumer();
  const f = new ChainFollower({ client: first.url, address, abi: EVENTS, fromBlock: block, confirmations: 1, pollIntervalMs: 50, initialBackoffMs: 50, maxBackoffMs: 300, onLogs: c.onLogs, onReorg: c.onReorg });
  const downs: Error[] = [];
  const ups: unknown[] = [];
  f.on("rpc-down", (e) => downs.push(e));
  f.on("rpc-up", (i) => ups.push(i));
  f.start();
  t.after(() => f.stop());
  await until(() => c.values().length === 2, 10_000, "logs of the first node");
  await first.stop();
  await until(() => downs.length === 1, 10_000, "rpc-down");
  second = await HardhatNode.start(first.port);
  // same deployer, same nonce: the contract comes back at the same address on the fresh chain
  const again = await deployHarness(second.url);
  assert.equal(again.address, address);
  await emit(second.url, address, 7);
  await second.mine(2);
  await until(() => ups.length === 1 && c.reorgs.length === 1 && c.values().join() === "7", 20_000, "re-follow on the new chain");
  await f.stop();
  assert.equal(c.reorgs[0]!.deep, true, "no remembered block survives a chain reset");
  assert.equal(c.reorgs[0]!.forkBlock, block - 1n);
  assert.deepEqual(c.values(), [7]);
});
