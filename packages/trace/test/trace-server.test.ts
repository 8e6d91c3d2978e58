import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { READABLE_MANIFEST_FORMATS, TraceFormatError, TraceReader } from "@refereed/engine";
import { MANIFEST_FORMATS, TraceClient, TraceFetchError, TraceIntegrityError, TracePublishError, TraceUriError, parseTraceUri, sha256Hex, startTraceServer, traceUri } from "../src/index.js";
import { rawGet, traceWriter } from "./helpers.js";

function tempRoot(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "refereed-trace-http-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a published trace is fetched over HTTP, every object verified, and materialized into a directory TraceReader verifies", async (t) => {
  const root = tempRoot(t);
  const w = traceWriter(join(root, "job-1"));
  await w.steps(4);
  const server = await startTraceServer({ dir: root });
  t.after(() => server.close());
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const pub = await server.publish("job-1");
  assert.equal(pub.uri, `${server.url}/traces/job-1#sha256=${pub.indexHash}`);
  assert.deepEqual(parseTraceUri(pub.uri), { baseUrl: server.url, name: "job-1", indexHash: pub.indexHash });
  assert.equal(pub.index.iterations.length, 4);
  assert.equal(pub.manifestHash, sha256Hex(readFileSync(join(root, "job-1", "manifest.json"))));

  const client = new TraceClient({ timeoutMs: 5000, retries: 1, backoffMs: 10 });
  const fetched = await client.fetchIndex(pub.uri);
  assert.deepEqual(fetched.index, pub.index);
  // each iteration is its own object: its bytes are those on disk
  const bytes2 = await client.fetchIteration(fetched, 2);
  assert.deepEqual(bytes2, new Uint8Array(readFileSync(join(root, "job-1", "iter-000000002.bin"))));

  const full = join(root, "..", `${root.split("/").pop()}-copy`);
  t.after(() => rmSync(full, { recursive: true, force: true }));
  const m = await client.materialize(pub.uri, full);
  assert.deepEqual(m.fetched, [0, 1, 2, 3]);
  const reader = TraceReader.open(full);
  reader.verifyAll();
  assert.equal(reader.manifest.rollups.length, 2);
  assert.equal(reader.manifest.rollups[1]!.root, w.sink.writer!.manifest().rollups[1]!.root);
  // a second materialization of the same trace reuses the verified files
  const again = await client.materialize(pub.uri, full);
  assert.deepEqual(again.fetched, []);
  assert.deepEqual(again.reused, [0, 1, 2, 3]);

  // sampled audit: only the iterations asked for are downloaded
  const sampled = join(root, "..", `${root.split("/").pop()}-sampled`);
  t.after(() => rmSync(sampled, { recursive: true, force: true }));
  const s = await client.materialize(pub.uri, sampled, { steps: [1] });
  assert.deepEqual(s.fetched, [1]);
  assert.equal(existsSync(join(sampled, "iter-000000000.bin")), false);
  const partial = TraceReader.open(sampled);
  partial.verifyIteration(1);
  assert.throws(() => partial.readIteration(0), TraceFormatError);

  // the manifest route returns the published manifest and its hash
  const res = await fetch(`${server.url}/traces/job-1/manifest`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-content-sha256"), pub.manifestHash);
  assert.equal(sha256Hex(new Uint8Array(await res.arrayBuffer())), pub.manifestHash);
  const listing = (await (await fetch(`${server.url}/traces`)).json()) as { traces: { name: string; indexHash: string; iterations: number }[] };
  assert.deepEqual(listing.traces.map((x) => [x.name, x.indexHash, x.iterations]), [["job-1", pub.indexHash, 4]]);
});

test("the server publishes exactly the trace formats the engine's reader reads", () => {
  assert.deepEqual([...MANIFEST_FORMATS], Object.keys(READABLE_MANIFEST_FORMATS));
});

test("Range requests return the asked slice of an object (206) and 416 past its end", async (t) => {
  const root = tempRoot(t);
  await traceWriter(join(root, "r")).steps(2);
  const server = await startTraceServer({ dir: root });
  t.after(() => server.close());
  const pub = await server.publish("r");
  const it = pub.index.iterations[1]!;
  const onDisk = readFileSync(join(root, "r", it.file));
  const res = await fetch(`${server.url}/objects/${it.sha256}`, { headers: { range: "bytes=0-127" } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get("content-range"), `bytes 0-127/${it.size}`);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), onDisk.subarray(0, 128));
  const tail = await fetch(`${server.url}/objects/${it.sha256}`, { headers: { range: "bytes=-10" } });
  assert.equal(tail.status, 206);
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), onDisk.subarray(onDisk.length - 10));
  const past = await fetch(`${server.url}/objects/${it.sha256}`, { headers: { range: `bytes=${it.size}-` } });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get("content-range"), `bytes */${it.size}`);
});

test("a file corrupted on the server is detected by the client and never returned or written", async (t) => {
  const root = tempRoot(t);
  await traceWriter(join(root, "c")).steps(4);
  const server = await startTraceServer({ dir: root });
  t.after(() => server.close());
  const pub = await server.publish("c");
  // one bit flipped in a tensor value of iteration 3, after publication (same size, so only the hash can tell)
  const path = join(root, "c", "iter-000000003.bin");
  const buf = readFileSync(path);
  buf[buf.length - 5]! ^= 0x01;
  writeFileSync(path, buf);
  const client = new TraceClient({ retries: 2, backoffMs: 10 });
  const dest = join(root, "..", `${root.split("/").pop()}-dest`);
  t.after(() => rmSync(dest, { recursive: true, force: true }));
  await assert.rejects(client.materialize(pub.uri, dest), (err: unknown) => {
    assert.ok(err instanceof TraceIntegrityError, String(err));
    assert.equal(err.expected, pub.index.iterations[3]!.sha256);
    assert.equal(err.actual, sha256Hex(buf));
    assert.notEqual(err.actual, err.expected);
    assert.match(err.message, /iter-000000003\.bin of trace c/);
    assert.match(err.message, new RegExp(err.expected));
    return true;
  });
  // the corrupt bytes never reached the destination, and no manifest claims a complete trace
  assert.equal(existsSync(join(dest, "iter-000000003.bin")), false);
  assert.equal(existsSync(join(dest, "manifest.json")), false);
  // the untouched iterations still fetch and verify
  const fetched = await client.fetchIndex(pub.uri);
  assert.equal((await client.fetchIteration(fetched, 2)).length, pub.index.iterations[2]!.size);
  // a URI naming an index hash the server never published: 404, not retried
  const wrong = traceUri(server.url, "c", sha256Hex(new Uint8Array([1, 2, 3])));
  await assert.rejects(client.fetchIndex(wrong), (err: unknown) => err instanceof TraceFetchError && err.status === 404 && err.attempts === 1);
});

test("after a new rollup the trainer republishes; older URIs keep resolving, also after a server restart", async (t) => {
  const root = tempRoot(t);
  const w = traceWriter(join(root, "g"));
  await w.steps(2);
  const s1 = await startTraceServer({ dir: root });
  const first = await s1.publish("g");
  await w.steps(2);
  const second = await s1.publish(join(root, "g")); // the directory path works as well as the name
  assert.notEqual(first.indexHash, second.indexHash);
  assert.equal(first.index.iterations.length, 2);
  assert.equal(second.index.iterations.length, 4);
  await s1.close();
  // a new server process on the same directory (another port) serves both publications
  const s2 = await startTraceServer({ dir: root });
  t.after(() => s2.close());
  const client = new TraceClient({ retries: 0 });
  const old = await client.fetchManifest(traceUri(s2.url, "g", first.indexHash));
  assert.equal(old.manifest.iterations.length, 2);
  assert.equal(sha256Hex(old.bytes), first.manifestHash);
  const cur = await client.fetchManifest(traceUri(s2.url, "g", second.indexHash));
  assert.equal(cur.manifest.iterations.length, 4);
  const info = (await (await fetch(`${s2.url}/traces/g`)).json()) as { indexHash: string };
  assert.equal(info.indexHash, second.indexHash);
});

test("a server that went away gives a clear TraceFetchError after the bounded retries", async (t) => {
  const root = tempRoot(t);
  await traceWriter(join(root, "a")).steps(2);
  const server = await startTraceServer({ dir: root });
  const pub = await server.publish("a");
  await server.close();
  let calls = 0;
  const counting: typeof fetch = (input, init) => {
    calls++;
    return fetch(input, init);
  };
  const client = new TraceClient({ retries: 2, backoffMs: 20, timeoutMs: 2000, fetch: counting });
  const t0 = Date.now();
  await assert.rejects(client.fetchIndex(pub.uri), (err: unknown) => {
    assert.ok(err instanceof TraceFetchError, String(err));
    assert.equal(err.attempts, 3);
    assert.match(err.message, new RegExp(`GET ${server.url}/objects/${pub.indexHash} failed after 3 attempts`));
    assert.match(err.message, /ECONNREFUSED/);
    return true;
  });
  assert.equal(calls, 3);
  assert.ok(Date.now() - t0 < 5000);
});

test("a server that accepts but never answers times out per attempt, then fails after the retries", async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  t.after(() => {
    sockets.forEach((s) => s.destroy());
    silent.close();
  });
  const port = (silent.address() as { port: number }).port;
  const client = new TraceClient({ retries: 1, backoffMs: 10, timeoutMs: 300 });
  const t0 = Date.now();
  await assert.rejects(client.fetchIndex(traceUri(`http://127.0.0.1:${port}`, "x", "ab".repeat(32))), (err: unknown) => {
    assert.ok(err instanceof TraceFetchError, String(err));
    assert.equal(err.attempts, 2);
    assert.match(err.message, /timeout|aborted/i);
    return true;
  });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 600 && elapsed < 3000, `elapsed ${elapsed} ms`);
});

test("path traversal attempts are refused and never reach a file outside the published objects", async (t) => {
  const root = tempRoot(t);
  await traceWriter(join(root, "p")).steps(2);
  const secret = join(root, "secret.txt");
  writeFileSync(secret, "TOP-SECRET");
  const server = await startTraceServer({ dir: root });
  t.after(() => server.close());
  await server.publish("p");
  const attempts = [
    "/objects/../secret.txt",
    "/objects/..%2fsecret.txt",
    "/objects/%2e%2e/secret.txt",
    "/traces/../secret.txt",
    "/traces/..%2F..%2Fetc/manifest",
    "/traces/%2e%2e/manifest",
    "/traces/p/../../secret.txt",
    "/traces/.refereed-objects/manifest",
    "/traces/p%2f..%2f..%2fsecret.txt/manifest",
    "/objects/..\\secret.txt",
    "/objects/secret.txt",
    "/p/manifest.json",
    "/p/iter-000000000.bin",
    "/secret.txt",
    "/objects/%00",
  ];
  for (const path of attempts) {
    const res = await rawGet(server.url, path);
    assert.ok(res.status === 400 || res.status === 404, `${path} → ${res.status}`);
    assert.doesNotMatch(res.body, /TOP-SECRET|RFDTRACE|refereed-trace\//, path);
  }
  assert.equal((await rawGet(server.url, "/objects/../secret.txt")).status, 400);
  // publish() only takes a trace name inside the root
  await assert.rejects(server.publish("../secret"), TracePublishError);
  await assert.rejects(server.publish("."), TracePublishError);
  await assert.rejects(server.publish(tmpdir()), /not a directory directly inside the trace root/);
  const outside = mkdtempSync(join(tmpdir(), "refereed-outside-"));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  mkdirSync(join(outside, "t"));
  symlinkSync(join(outside, "t"), join(root, "link"));
  await assert.rejects(server.publish("link"), /outside the trace root/);
  // other methods are refused
  assert.equal((await fetch(`${server.url}/traces`, { method: "POST" })).status, 405);
  // trace URIs that do not parse are refused with the reason
  assert.throws(() => parseTraceUri("http://127.0.0.1:1/traces/x"), TraceUriError);
  assert.throws(() => parseTraceUri(`file:///etc/traces/x#sha256=${"a".repeat(64)}`), /scheme file:/);
  assert.throws(() => parseTraceUri(`http://127.0.0.1:1/traces/..#sha256=${"a".repeat(64)}`), TraceUriError);
});
