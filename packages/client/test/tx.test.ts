import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseGwei, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ContractRevertError, Store, TxKeyConflictError, TxSender, TxTimeoutError, decodeRevert } from "../src/index.js";
import { DEV_KEYS, HardhatNode, clients, deployHarness, harnessArtifact } from "./chain.js";

const abi = harnessArtifact().abi;
let node: HardhatNode;
let address: Address;
before(async () => {
  node = await HardhatNode.start();
  ({ address } = await deployHarness(node.url));
});
after(async () => {
  await node?.stop();
});

function tempStorePath(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "refereed-tx-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "bot.db");
}

function sender(store: Store, hooks?: ConstructorParameters<typeof TxSender>[0]["hooks"], key: Hex = DEV_KEYS[0]!) {
  const { publicClient } = clients(node.url, key);
  return new TxSender({ publicClient, account: privateKeyToAccount(key), store, pollingIntervalMs: 20, timeoutMs: 20_000, hooks });
}

const pc = () => clients(node.url).publicClient;
const me = privateKeyToAccount(DEV_KEYS[0]!).address;
const count = async () => (await pc().readContract({ address, abi, functionName: "count" })) as bigint;
const nonce = () => pc().getTransactionCount({ address: me });

test("a write is sent once per idempotency key: a second call returns the recorded result and sends nothing", async (t) => {
  const store = Store.open(tempStorePath(t));
  t.after(() => store.close());
  const s = sender(store);
  const c0 = await count();
  const n0 = await nonce();
  const r = await s.write({ address, abi, functionName: "emitValue", args: [5n] }, { key: "emit:1" });
  assert.equal(r.reused, false);
  assert.ok(r.gasUsed > 21_000n);
  assert.equal((await pc().getTransactionReceipt({ hash: r.hash })).status, "success");
  const again = await s.write({ address, abi, functionName: "emitValue", args: [5n] }, { key: "emit:1" });
  assert.equal(again.reused, true);
  assert.equal(again.hash, r.hash);
  assert.equal(again.blockNumber, r.blockNumber);
  assert.equal(await count(), c0 + 1n);
  assert.equal(await nonce(), n0 + 1);
  assert.deepEqual(store.actions.events("emit:1").map((e) => e.status), ["intent", "signed", "sent", "confirmed"]);
  // the same key for another call is refused before anything is sent
  await assert.rejects(s.write({ address, abi, functionName: "emitValue", args: [6n] }, { key: "emit:1" }), TxKeyConflictError);
  assert.equal(await nonce(), n0 + 1);
});

test("a revert in simulation is decoded into ContractRevertError {errorName, args} and nothing is sent", async (t) => {
  const store = Store.open(tempStorePath(t));
  t.after(() => store.close());
  const n0 = await nonce();
  await assert.rejects(sender(store).write({ address, abi, functionName: "emitValue", args: [2_000_000n] }, { key: "too-large" }), (err: unknown) => {
    assert.ok(err instanceof ContractRevertError, String(err));
    assert.equal(err.errorName, "EventEmitterHarnessValueTooLarge");
    assert.deepEqual(err.args, [2_000_000n, 1_000_000n, me]);
    assert.equal(err.context.stage, "simulation");
    assert.match(err.message, /emitValue on 0x[0-9a-fA-F]{40} reverted in simulation \(nothing sent\): EventEmitterHarnessValueTooLarge\(2000000, 1000000, 0x/);
    return true;
  });
  assert.equal(await nonce(), n0);
  assert.equal(store.actions.get("too-large")!.status, "rejected");
  assert.equal(decodeRevert(new Error("not a viem error")), null);
});

test("a transaction that passes simulation but reverts when mined is decoded from its receipt, recorded, and not resent", async (t) => {
  const store = Store.open(tempStorePath(t));
  t.after(() => store.close());
  await node.rpc("evm_setAutomine", [false]);
  t.after(() => node.rpc("evm_setAutomine", [true]));
  const seen = await count();
  let broadcast!: () => void;
  const sent = new Promise<void>((r) => (broadcast = r));
  const a = sender(store, { afterBroadcast: () => broadcast() });
  const pending = a.write({ address, abi, functionName: "emitIfCount", args: [seen, 1n] }, { key: "race" });
  const outcome = pending.then(
    () => null,
    (e: unknown) => e,
  );
  await sent;
  // another account's call, with a higher tip, is mined before ours in the same block
  const other = clients(node.url, DEV_KEYS[1]!);
  await other.wallet.writeContract({ address, abi, functionName: "emitValue", args: [9n], maxPriorityFeePerGas: parseGwei("50"), maxFeePerGas: parseGwei("500") });
  await node.mine(1);
  const err = await outcome;
  assert.ok(err instanceof ContractRevertError, String(err));
  assert.equal(err.errorName, "EventEmitterHarnessStaleCount");
  assert.deepEqual(err.args, [seen, seen + 1n]);
  assert.equal(err.context.stage, "receipt");
  assert.equal((await pc().getTransactionReceipt({ hash: err.context.txHash! })).status, "reverted");
  assert.equal(store.actions.get("race")!.status, "reverted");
  await node.rpc("evm_setAutomine", [true]);
  // asking again replays the recorded failure: no second transaction
  const n1 = await nonce();
  await assert.rejects(a.write({ address, abi, functionName: "emitIfCount", args: [seen, 1n] }, { key: "race" }), (e: unknown) => e instanceof ContractRevertError && e.errorName === "EventEmitterHarnessStaleCount" && e.context.txHash === err.context.txHash);
  assert.equal(await nonce(), n1);
});

test("killed after signing, before broadcasting: the restarted bot broadcasts the same transaction, once", async (t) => {
  const path = tempStorePath(t);
  const c0 = await count();
  const n0 = await nonce();
  let signedHash: Hex | undefined;
  const s1 = Store.open(path);
  await assert.rejects(
    sender(s1, {
      afterSign: (h) => {
        signedHash = h;
        throw new Error("simulated crash after signing");
      },
    }).write({ address, abi, functionName: "emitValue", args: [77n] }, { key: "crash:sign" }),
    /simulated crash/,
  );
  s1.close();
  assert.equal(await nonce(), n0, "nothing reached the chain");
  const s2 = Store.open(path);
  t.after(() => s2.close());
  assert.equal(s2.actions.get("crash:sign")!.status, "signed");
  const r = await sender(s2).write({ address, abi, functionName: "emitValue", args: [77n] }, { key: "crash:sign" });
  assert.equal(r.hash, signedHash, "the very transaction signed before the crash");
  assert.equal(await count(), c0 + 1n);
  assert.equal(await nonce(), n0 + 1);
});

test("killed after broadcasting, before recording it: the restarted bot finds the mined transaction and pays nothing more", async (t) => {
  const path = tempStorePath(t);
  const c0 = await count();
  const n0 = await nonce();
  const s1 = Store.open(path);
  await assert.rejects(
    sender(s1, {
      afterBroadcast: () => {
        throw new Error("simulated crash after broadcast");
      },
    }).write({ address, abi, functionName: "emitValue", args: [78n] }, { key: "crash:sent" }),
    /simulated crash/,
  );
  s1.close();
  assert.equal(await nonce(), n0 + 1, "the transaction was mined");
  const s2 = Store.open(path);
  t.after(() => s2.close());
  const r = await sender(s2).write({ address, abi, functionName: "emitValue", args: [78n] }, { key: "crash:sent" });
  assert.equal(r.reused, false);
  assert.equal(await count(), c0 + 1n, "emitted once");
  assert.equal(await nonce(), n0 + 1, "no second transaction");
  assert.equal(s2.actions.get("crash:sent")!.status, "confirmed");
});

test("a recorded transaction whose nonce was spent by another one is signed again (it can never be mined)", async (t) => {
  const store = Store.open(tempStorePath(t));
  t.after(() => store.close());
  const c0 = await count();
  await assert.rejects(
    sender(store, {
      afterSign: () => {
        throw new Error("crash");
      },
    }).write({ address, abi, functionName: "emitValue", args: [79n] }, { key: "crash:replaced" }),
    /crash/,
  );
  // the same account sends something else with that nonce
  await clients(node.url).wallet.writeContract({ address, abi, functionName: "emitValue", args: [80n] });
  const r = await sender(store).write({ address, abi, functionName: "emitValue", args: [79n] }, { key: "crash:replaced" });
  assert.equal((await pc().getTransactionReceipt({ hash: r.hash })).status, "success");
  assert.equal(await count(), c0 + 2n);
  assert.deepEqual(store.actions.events("crash:replaced").map((e) => e.status), ["intent", "signed", "replaced", "signed", "sent", "confirmed"]);
});

test("no receipt within the timeout: TxTimeoutError, and the next call with the key waits for the same transaction", async (t) => {
  const store = Store.open(tempStorePath(t));
  t.after(() => store.close());
  await node.rpc("evm_setAutomine", [false]);
  t.after(() => node.rpc("evm_setAutomine", [true]));
  const s = sender(store);
  let hash: Hex | undefined;
  await assert.rejects(s.write({ address, abi, functionName: "emitValue", args: [81n] }, { key: "slow", timeoutMs: 300 }), (e: unknown) => {
    assert.ok(e instanceof TxTimeoutError, String(e));
    hash = e.hash;
    return true;
  });
  assert.equal(store.actions.get("slow")!.status, "sent");
  const n0 = await pc().getTransactionCount({ address: me, blockTag: "latest" });
  const waiting = s.write({ address, abi, functionName: "emitValue", args: [81n] }, { key: "slow", timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 100));
  await node.mine(1);
  const r = await waiting;
  assert.equal(r.hash, hash);
  assert.equal(await pc().getTransactionCount({ address: me, blockTag: "latest" }), n0 + 1);
});
