/**
 * The bots' embedded store: one SQLite file through Node 22's built-in `node:sqlite` (no native npm package),
 * WAL journal with `synchronous=FULL`, so a committed transaction survives `kill -9` (and power loss) and an
 * interrupted one leaves no trace.
 *
 * - key/value with JSON values (`get`/`put`/`delete`/`keys`);
 * - an append-only action log keyed by idempotency keys (`actions`): one row per action, created once, and an
 *   append-only list of status events; a bot records its intent (and the signed transaction) under a key before it
 *   acts, so after a crash it finds the key and resumes the same action instead of paying twice;
 * - transactions (`transaction(fn)`: BEGIN IMMEDIATE … COMMIT, nested calls become savepoints).
 */
import { DatabaseSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A store operation that failed: names the store file, the key and what went wrong. */
export class StoreError extends Error {
  constructor(
    readonly path: string,
    readonly key: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`store ${path}${key === undefined ? "" : ` key ${JSON.stringify(key)}`}: ${message}`, options);
    this.name = "StoreError";
  }
}

/** One action of the log with its latest status (the last event appended). */
export interface Action<P extends Json = Json, D extends Json = Json> {
  /** insertion order */
  readonly seq: number;
  /** the idempotency key */
  readonly key: string;
  readonly kind: string;
  readonly payload: P;
  readonly status: string;
  /** detail of the latest event */
  readonly detail: D;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ActionEvent<D extends Json = Json> {
  readonly seq: number;
  readonly key: string;
  readonly status: string;
  readonly detail: D;
  readonly at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS actions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  detail TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS actions_kind_status ON actions (kind, status);
CREATE TABLE IF NOT EXISTS action_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL REFERENCES actions (key),
  status TEXT NOT NULL,
  detail TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS action_events_key ON action_events (key, seq);
CREATE TRIGGER IF NOT EXISTS action_events_append_only_update BEFORE UPDATE ON action_events
  BEGIN SELECT RAISE(ABORT, 'action_events is append-only'); END;
CREATE TRIGGER IF NOT EXISTS action_events_append_only_delete BEFORE DELETE ON action_events
  BEGIN SELECT RAISE(ABORT, 'action_events is append-only'); END;
CREATE TRIGGER IF NOT EXISTS actions_no_delete BEFORE DELETE ON actions
  BEGIN SELECT RAISE(ABORT, 'actions are never deleted'); END;
`;

interface ActionRow {
  seq: number;
  key: string;
  kind: string;
  payload: string;
  status: string;
  detail: string;
  created_at: number;
  updated_at: number;
}

export interface StoreOptions {
  /** how long a write waits for another connection's lock; default 5 s */
  readonly busyTimeoutMs?: number;
}

export class Store {
  readonly actions: ActionLog;
  private readonly db: DatabaseSync;
  private depth = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    opts: StoreOptions,
  ) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new DatabaseSync(path);
      this.db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
      this.db.exec("PRAGMA journal_mode = WAL");
      this.db.exec("PRAGMA synchronous = FULL");
      this.db.exec("PRAGMA foreign_keys = ON");
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new StoreError(path, undefined, `cannot open: ${(err as Error).message}`, { cause: err });
    }
    this.actions = new ActionLog(this, this.db);
  }

  /** Opens (creating if needed) the store file at `path`. */
  static open(path: string, opts: StoreOptions = {}): Store {
    return new Store(path, opts);
  }

  /** `PRAGMA name` (for checks: journal_mode, synchronous). */
  pragma(name: "journal_mode" | "synchronous" | "integrity_check"): string | number {
    const row = this.db.prepare(`PRAGMA ${name}`).get() as Record<string, string | number> | undefined;
    return row ? Object.values(row)[0]! : "";
  }

  get<T extends Json = Json>(key: string): T | undefined {
    const row = this.db.prepare("SELECT value FROM kv WHERE key = ?").get(key) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  put(key: string, value: Json): void {
    this.db.prepare("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at").run(key, this.encode(key, value), Date.now());
  }

  /** Deletes `key`; returns whether it existed. */
  delete(key: string): boolean {
    return Number(this.db.prepare("DELETE FROM kv WHERE key = ?").run(key).changes) > 0;
  }

  /** Keys starting with `prefix`, sorted. */
  keys(prefix = ""): string[] {
    const rows = this.db.prepare("SELECT key FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key").all(prefix.length, prefix) as { key: string }[];
    return rows.map((r) => r.key);
  }

  /**
   * Runs `fn` in one transaction (BEGIN IMMEDIATE … COMMIT; a nested call is a savepoint): all its writes are
   * committed together or, if it throws, none. `fn` must be synchronous; a Promise result is refused and rolled back.
   */
  transaction<T>(fn: () => T): T {
    const sp = `sp${this.depth}`;
    this.db.exec(this.depth === 0 ? "BEGIN IMMEDIATE" : `SAVEPOINT ${sp}`);
    this.depth++;
    let result: T;
    try {
      result = fn();
      if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
        throw new StoreError(this.path, undefined, "transaction callback returned a Promise: it must be synchronous (await outside the transaction)");
      }
    } catch (err) {
      this.depth--;
      this.db.exec(this.depth === 0 ? "ROLLBACK" : `ROLLBACK TO ${sp}; RELEASE ${sp}`);
      throw err;
    }
    this.depth--;
    this.db.exec(this.depth === 0 ? "COMMIT" : `RELEASE ${sp}`);
    return result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** @internal */
  encode(key: string, value: Json): string {
    let s: string | undefined;
    try {
      s = JSON.stringify(value);
    } catch (err) {
      throw new StoreError(this.path, key, `value is not JSON-serializable: ${(err as Error).message}`, { cause: err });
    }
    if (s === undefined) throw new StoreError(this.path, key, `value of type ${typeof value} is not JSON`);
    return s;
  }
}

/** The append-only action log (see Store). */
export class ActionLog {
  /** @internal */
  constructor(
    private readonly store: Store,
    private readonly db: DatabaseSync,
  ) {}

  /**
   * Records action `key` with status `initialStatus` unless it exists. Returns the action and whether it was created
   * now; a second `begin` with the same key returns the first one untouched (that is the idempotency).
   */
  begin<P extends Json>(key: string, kind: string, payload: P, initialStatus = "intent"): { action: Action<P>; created: boolean } {
    return this.store.transaction(() => {
      const existing = this.get<P>(key);
      if (existing) {
        // INVARIANT: an idempotency key names one action; reusing it for another kind is a bug in the caller.
        if (existing.kind !== kind) throw new StoreError(this.store.path, key, `action exists with kind ${existing.kind}, not ${kind}`);
        return { action: existing, created: false };
      }
      const now = Date.now();
      const p = this.store.encode(key, payload);
      this.db.prepare("INSERT INTO actions (key, kind, payload, status, detail, created_at, updated_at) VALUES (?, ?, ?, ?, 'null', ?, ?)").run(key, kind, p, initialStatus, now, now);
      this.db.prepare("INSERT INTO action_events (key, status, detail, at) VALUES (?, ?, 'null', ?)").run(key, initialStatus, now);
      return { action: this.get<P>(key)!, created: true };
    });
  }

  /** Appends a status event to action `key` (which must exist) and returns the updated action. */
  append<D extends Json>(key: string, status: string, detail: D = null as D): Action<Json, D> {
    return this.store.transaction(() => {
      const now = Date.now();
      const d = this.store.encode(key, detail);
      const changed = this.db.prepare("UPDATE actions SET status = ?, detail = ?, updated_at = ? WHERE key = ?").run(status, d, now, key).changes;
      if (Number(changed) === 0) throw new StoreError(this.store.path, key, `no action with this key (begin() it first)`);
      this.db.prepare("INSERT INTO action_events (key, status, detail, at) VALUES (?, ?, ?, ?)").run(key, status, d, now);
      return this.get<Json, D>(key)!;
    });
  }

  get<P extends Json = Json, D extends Json = Json>(key: string): Action<P, D> | undefined {
    const row = this.db.prepare("SELECT * FROM actions WHERE key = ?").get(key) as ActionRow | undefined;
    return row && toAction<P, D>(row);
  }

  /** Actions in insertion order, optionally of one kind and/or status. */
  list(filter: { kind?: string; status?: string } = {}): Action[] {
    const rows = this.db
      .prepare("SELECT * FROM actions WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR status = ?2) ORDER BY seq")
      .all(filter.kind ?? null, filter.status ?? null) as unknown as ActionRow[];
    return rows.map((r) => toAction(r));
  }

  /** Every event of action `key`, oldest first. */
  events(key: string): ActionEvent[] {
    const rows = this.db.prepare("SELECT seq, key, status, detail, at FROM action_events WHERE key = ? ORDER BY seq").all(key) as { seq: number; key: string; status: string; detail: string; at: number }[];
    return rows.map((r) => ({ seq: r.seq, key: r.key, status: r.status, detail: JSON.parse(r.detail) as Json, at: r.at }));
  }
}

function toAction<P extends Json, D extends Json>(r: ActionRow): Action<P, D> {
  return {
    seq: r.seq,
    key: r.key,
    kind: r.kind,
    payload: JSON.parse(r.payload) as P,
    status: r.status,
    detail: JSON.parse(r.detail) as D,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
