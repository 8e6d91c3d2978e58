/**
 * The protocol commands of the real `refereed` binary against a `hardhat node` on 127.0.0.1: deploy, job spec and
 * job create, checked against the JobCreated event on the chain. Run as child processes with pipes (not a
 * terminal): progress bars stay off, stdout carries only the results.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http, parseEther, parseEventLogs, type Abi } from "viem";
import { loadArtifact } from "@refereed/client";
import { sha256, toHex, utf8, vrfKeygen } from "@refereed/core";
import { onchainJobFields, type JobSpec } from "@refereed/engine";
import { DEV_KEYS, HardhatNode, clients } from "../../client/test/chain.js";
import { root, runCli } from "./run-cli.js";

// a network of its own, so that the test never touches deployments/localhost.json
const network = `cli-test-${process.pid}`;
const cli = (...args: string[]) => runCli(args, { REFEREED_PRIVATE_KEY: DEV_KEYS[0]! });

describe("refereed deploy, job spec, job create (local chain)", { timeout: 180_000 }, () => {
  let node: HardhatNode;
  const dir = mkdtempSync(join(tmpdir(), "refereed-cli-"));
  const specFile = join(dir, "spec.json");

  before(async () => {
    node = await HardhatNode.start();
  });
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(root, "deployments", `${network}.json`), { force: true });
  });

  it("deploy writes deployments/<network>.json; in a pipe nothing but its lines (no progress bar, no control codes)", async () => {
    const r = await cli("deploy", "--network", network, "--rpc", node.url);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^TrainerKeys: deployed at 0x/m);
    assert.match(r.stdout, new RegExp(`^deployed TrainerKeys, OneStepVerifier, Refereed: deployments/${network}.json \\(chain 31337, deploy block \\d+\\)$`, "m"));
    assert.ok(!/[\r\x1b]/.test(r.stdout + r.stderr), "no carriage return or ANSI code in a pipe");
    assert.doesNotMatch(r.stderr, /deploying/);
    assert.ok(existsSync(join(root, "deployments", `${network}.json`)));
  });

  it("deploy again keeps this build's contracts, and redeploys one whose recorded code is another build's", async () => {
    const file = join(root, "deployments", `${network}.json`);
    const before = readFileSync(file, "utf8");
    const again = await cli("deploy", "--network", network, "--rpc", node.url);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^Refereed: already deployed at 0x/m);
    assert.doesNotMatch(again.stdout, /: deployed at 0x/);
    assert.equal(readFileSync(file, "utf8"), before, "the deployment file is unchanged");
    // the verifier recorded at the key registry's address: code is there, but not OneStepVerifier's
    const d = JSON.parse(before) as { contracts: Record<string, { address: string }> };
    writeFileSync(file, JSON.stringify({ ...d, contracts: { ...d.contracts, OneStepVerifier: { ...d.contracts.OneStepVerifier, address: d.contracts.TrainerKeys!.address } } }));
    try {
      const r = await cli("deploy", "--network", network, "--rpc", node.url);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^OneStepVerifier: the code at 0x[0-9a-fA-F]{40} is not this build's \(an older version\?\); deploying again$/m);
      assert.match(r.stdout, /^OneStepVerifier: deployed at 0x/m);
      // Refereed binds its verifier: it is deployed again too
      assert.match(r.stdout, /^Refereed: deployed at 0x/m);
    } finally {
      writeFileSync(file, before); // the later tests use the first deployment
    }
  });

  it("job create sends the spec's fields and the terms of the flags to createJob", async () => {
    const key = vrfKeygen(sha256(utf8("cli protocol test")));
    const spec = await cli("job", "spec", "--vrf-key", toHex(key.pk), "--out", specFile, "--steps", "10", "--train-examples", "256", "--init-seed", toHex(sha256(utf8("init"))));
    assert.equal(spec.code, 0, spec.stderr);
    const f = onchainJobFields(JSON.parse(readFileSync(specFile, "utf8")) as JobSpec);

    const r = await cli(
      "job", "create", "--spec", specFile, "--network", network, "--rpc", node.url,
      "--reward", "2", "--trainer-bond", "0.25", "--challenger-bond", "0.05", "--rollup-steps", "5", "--window", "100", "--trainer-clock", "200", "--challenger-clock", "300", "--submission-timeout", "400",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^job 1 created \\(tx 0x[0-9a-f]{64}\\): reward 2 ETH escrowed, spec ${f.specHash}\\n$`));
    assert.ok(!/[\r\x1b]/.test(r.stdout + r.stderr), "no carriage return or ANSI code in a pipe");

    const deployment = JSON.parse(readFileSync(join(root, "deployments", `${network}.json`), "utf8")) as { contracts: { Refereed: { address: `0x${string}` } } };
    const client = createPublicClient({ transport: http(node.url) });
    const logs = await client.getLogs({ address: deployment.contracts.Refereed.address, fromBlock: 0n });
    const [ev] = parseEventLogs({ abi: loadArtifact("Refereed").abi as Abi, logs, eventName: "JobCreated" }) as unknown as { args: { jobId: bigint; params: Record<string, unknown>; reward: bigint } }[];
    assert.ok(ev, "a JobCreated event");
    assert.equal(ev.args.reward, parseEther("2"));
    assert.deepEqual(ev.args.params, {
      specHash: f.specHash,
      templateRoot: f.templateRoot,
      initialState: f.initialState,
      datasetRoot: f.datasetRoot,
      datasetSize: 256n,
      nodeCount: f.nodeCount,
      dropoutLayers: f.dropoutLayers,
      toleranceProfile: 0,
      stepsTotal: 10n,
      rollupSteps: 5n,
      challengeWindow: 100n,
      trainerClock: 200n,
      challengerClock: 300n,
      submissionTimeout: 400n,
      trainerBond: parseEther("0.25"),
      challengerBond: parseEther("0.05"),
    });
  });

  it("job abandon on a job nobody accepted is refused with the contract's named error and a non-zero exit", async () => {
    const r = await cli("job", "abandon", "--job", "1", "--network", network, "--rpc", node.url);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /JobNotInStatus/);
    const bad = await cli("job", "abandon", "--job", "zero", "--network", network, "--rpc", node.url);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--job must be an integer >= 1, got 'zero'/);
  });

  it("game timeout and game resolve: a silent trainer's game is decided, then settled, each once", async () => {
    // job 1 (created above, directed at this key): the trainer accepts and submits a rollup, a challenger opens a game
    const key = vrfKeygen(sha256(utf8("cli protocol test")));
    const deployment = JSON.parse(readFileSync(join(root, "deployments", `${network}.json`), "utf8")) as { contracts: Record<"Refereed" | "TrainerKeys", { address: `0x${string}` }> };
    const refereed = { address: deployment.contracts.Refereed.address, abi: loadArtifact("Refereed").abi as Abi };
    const keys = { address: deployment.contracts.TrainerKeys.address, abi: loadArtifact("TrainerKeys").abi as Abi };
    const trainer = clients(node.url, DEV_KEYS[1]!);
    const challenger = clients(node.url, DEV_KEYS[2]!);
    const send = async (c: typeof trainer, call: { address: `0x${string}`; abi: Abi; functionName: string; args: readonly unknown[]; value?: bigint }) => {
      const hash = await c.wallet.writeContract(call as Parameters<typeof c.wallet.writeContract>[0]);
      const r = await c.publicClient.waitForTransactionReceipt({ hash });
      assert.equal(r.status, "success", `${call.functionName} reverted`);
    };
    await send(trainer, { ...keys, functionName: "registerKey", args: [toHex(key.pk), toHex(key.pop)] });
    await node.mine(); // the key must be older than the acceptance block
    await send(trainer, { ...refereed, functionName: "acceptJob", args: [1n], value: parseEther("0.25") });
    const f = onchainJobFields(JSON.parse(readFileSync(specFile, "utf8")) as JobSpec);
    const root32 = toHex(sha256(utf8("a rollup nobody will defend")));
    await send(trainer, { ...refereed, functionName: "submitRollup", args: [1n, f.initialState, root32, root32, "ipfs://none"] });
    await send(challenger, { ...refereed, functionName: "openGame", args: [1n << 64n, f.initialState, root32, root32], value: parseEther("0.05") });

    const early = await cli("game", "resolve", "--game", "1", "--network", network, "--rpc", node.url);
    assert.equal(early.code, 1, early.stdout);
    assert.match(early.stderr, /GameNotDecided/);
    const tooSoon = await cli("game", "timeout", "--game", "1", "--network", network, "--rpc", node.url);
    assert.equal(tooSoon.code, 1, tooSoon.stdout);
    assert.match(tooSoon.stderr, /ClockNotExpired/);

    await node.rpc("evm_increaseTime", [201]); // past the trainer's 200 s clock
    await node.mine();
    const t = await cli("game", "timeout", "--game", "1", "--network", network, "--rpc", node.url);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^game 1 timed out \(tx 0x[0-9a-f]{64}\): the challenger won; 'refereed game resolve --game 1' settles it\n$/);
    const r = await cli("game", "resolve", "--game", "1", "--network", network, "--rpc", node.url);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^game 1 resolved \(tx 0x[0-9a-f]{64}\): the challenger won; its rollup and the job's later rollups are rejected; credited: /);
    assert.match(r.stdout, /0\.05 ETH/, "the challenger's bond back");
    const reader = createPublicClient({ transport: http(node.url) });
    assert.equal(await reader.readContract({ ...refereed, functionName: "rollupStatus", args: [1n << 64n] }), 3, "Rejected");
    const again = await cli("game", "resolve", "--game", "1", "--network", network, "--rpc", node.url);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /GameAlreadyResolved/);
    const bad = await cli("game", "resolve", "--game", "one", "--network", network, "--rpc", node.url);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--game must be an integer >= 1, got 'one'/);
    const unknown = await cli("game", "settle", "--game", "1");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown game subcommand 'settle' \(expected resolve or timeout\)/);
  });

  it("job create refuses bad terms with exit 2, naming the flag, before it asks the chain anything", async () => {
    // the RPC URL points nowhere: only a check made before connecting can give the usage error
    for (const [flag, value, pattern] of [
      ["--window", "0", /^error: --window must be an integer >= 1, got '0'$/m],
      ["--rollup-steps", "x", /^error: --rollup-steps must be an integer >= 1, got 'x'$/m],
      ["--trainer-clock", String(2 ** 40), /^error: --trainer-clock must be at most 1099511627775, got '1099511627776'$/m],
      ["--trainer-bond", "-1", /^error: --trainer-bond must be a positive amount of ether, got '-1'$/m],
    ] as const) {
      const r = await cli("job", "create", "--spec", specFile, "--network", network, "--rpc", "http://127.0.0.1:9", `${flag}=${value}`);
      assert.equal(r.code, 2, `${flag} ${value}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });
});
