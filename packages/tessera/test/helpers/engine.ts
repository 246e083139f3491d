/**
 * Shared fixtures for engine tests: a frozen clock, fixed keys, both stores, a store wrapper
 * that counts writes and can be made to fail, and an event recorder.
 */
import Database from 'better-sqlite3';
import type { KeyRing } from '../../src/crypto/keyring.ts';
import { createKeyRing } from '../../src/crypto/keyring.ts';
import type { SessionEvent } from '../../src/engine/events.ts';
import type { SessionManagerOptions } from '../../src/engine/options.ts';
import { SessionManager } from '../../src/engine/session-manager.ts';
import type { SessionRecord, Store } from '../../src/store/types.ts';
import { memoryStore } from '../../src/stores/memory.ts';
import { sqliteStore } from '../../src/stores/sqlite.ts';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** A clock that only moves when told to. */
export class FrozenClock {
  t: number;
  constructor(start = Date.UTC(2026, 0, 1, 9, 0, 0)) {
    this.t = start;
  }
  now = (): number => this.t;
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

export const KEY_A = Buffer.alloc(32, 0xa1);
export const KEY_B = Buffer.alloc(32, 0xb2);
export function keys(...entries: Array<[string, Buffer]>): KeyRing {
  const list: Array<[string, Buffer]> = entries.length > 0 ? entries : [['ka', KEY_A]];
  return createKeyRing(list.map(([id, key]) => ({ id, key })));
}

/**
 * `memory` and `sqlite` answer reads synchronously (`getSync`), so the engine takes its no-promise
 * path; `async-memory` is the memory store with only promise reads, as a network store would be.
 */
export type StoreKind = 'memory' | 'sqlite' | 'async-memory';
export const STORE_KINDS: readonly StoreKind[] = ['memory', 'sqlite', 'async-memory'];

/** A fresh store of the given kind (SQLite: in-memory database) and how to close it. */
export function openStore(kind: StoreKind, clock?: FrozenClock): { store: Store; close: () => void } {
  if (kind === 'memory') return { store: memoryStore({ clock }), close: () => {} };
  if (kind === 'async-memory') {
    const { getSync: _sync, ...promiseOnly } = memoryStore({ clock });
    return { store: promiseOnly, close: () => {} };
  }
  const db = new Database(':memory:');
  return { store: sqliteStore({ database: db }), close: () => db.close() };
}

const WRITES = [
  'create',
  'update',
  'touch',
  'rotate',
  'delete',
  'deleteByUser',
  'deleteFamily',
  'sweep',
] as const;
type Method = Exclude<keyof Store, 'close' | 'getSync'>;

/**
 * Wraps a store: counts every call, and throws from the methods listed in `failing`. A synchronous
 * read (`getSync`, kept when the inner store has one) counts and fails as `get`.
 */
export class InstrumentedStore implements Store {
  readonly calls = new Map<Method, number>();
  /** Methods that throw (as if the backend were unreachable); `'*'` for all. */
  failing = new Set<Method | '*'>();
  readonly getSync?: (id: string) => SessionRecord | null;
  constructor(readonly inner: Store) {
    const innerSync = inner.getSync?.bind(inner);
    if (innerSync) {
      this.getSync = (id) => {
        this.calls.set('get', this.count('get') + 1);
        if (this.failing.has('*') || this.failing.has('get'))
          throw new Error('ECONNREFUSED: backend down during get');
        return innerSync(id);
      };
    }
  }

  count(method: Method): number {
    return this.calls.get(method) ?? 0;
  }
  get writes(): number {
    return WRITES.reduce((n, m) => n + this.count(m), 0);
  }
  reset(): void {
    this.calls.clear();
  }
  #call<T>(method: Method, run: () => Promise<T>): Promise<T> {
    this.calls.set(method, this.count(method) + 1);
    if (this.failing.has('*') || this.failing.has(method)) {
      return Promise.reject(new Error(`ECONNREFUSED: backend down during ${method}`));
    }
    return run();
  }
  create: Store['create'] = (r) => this.#call('create', () => this.inner.create(r));
  get: Store['get'] = (id) => this.#call('get', () => this.inner.get(id));
  update: Store['update'] = (n, v) => this.#call('update', () => this.inner.update(n, v));
  touch: Store['touch'] = (id, p) => this.#call('touch', () => this.inner.touch(id, p));
  rotate: Store['rotate'] = (o, v, n, t) => this.#call('rotate', () => this.inner.rotate(o, v, n, t));
  delete: Store['delete'] = (id, t) => this.#call('delete', () => this.inner.delete(id, t));
  getTombstone: Store['getTombstone'] = (id) => this.#call('getTombstone', () => this.inner.getTombstone(id));
  listByUser: Store['listByUser'] = (u) => this.#call('listByUser', () => this.inner.listByUser(u));
  listByFederated: NonNullable<Store['listByFederated']> = (i, by) =>
    this.#call('listByFederated', () => {
      if (!this.inner.listByFederated) throw new Error('the wrapped store has no listByFederated');
      return this.inner.listByFederated(i, by);
    });
  deleteByUser: Store['deleteByUser'] = (u, f, e) =>
    this.#call('deleteByUser', () => this.inner.deleteByUser(u, f, e));
  deleteFamily: Store['deleteFamily'] = (f, t) =>
    this.#call('deleteFamily', () => this.inner.deleteFamily(f, t));
  sweep: Store['sweep'] = (n, l) => this.#call('sweep', () => this.inner.sweep(n, l));
}

/** A session manager over an instrumented store, with a frozen clock and fixed keys. */
export interface EngineUnderTest {
  manager: SessionManager;
  clock: FrozenClock;
  store: InstrumentedStore;
  close: () => void;
}

/**
 * The one way tests build an engine (engine, HTTP, adapter and monitor tests alike): a fresh store
 * of `kind` behind an {@link InstrumentedStore}, a frozen clock, fixed keys, no creation limit and
 * a silent logger unless `options` say otherwise. No event listener is attached, so the engine
 * behaves as it does without a monitor (see {@link harness} for one that records events).
 */
export function engineUnderTest(
  kind: StoreKind = 'memory',
  options: Partial<SessionManagerOptions> = {},
): EngineUnderTest {
  const clock = new FrozenClock();
  const opened = openStore(kind, clock);
  const store = new InstrumentedStore(opened.store);
  const manager = new SessionManager({
    keys: keys(),
    clock,
    creationRateLimit: false,
    logger: { warn: () => {} },
    ...options,
    store,
  });
  return { manager, clock, store, close: opened.close };
}

export interface Harness extends EngineUnderTest {
  events: SessionEvent[];
}

/** {@link engineUnderTest} with every event recorded. */
export function harness(kind: StoreKind, options: Partial<SessionManagerOptions> = {}): Harness {
  const engine = engineUnderTest(kind, options);
  const events: SessionEvent[] = [];
  engine.manager.events.on('*', (e) => events.push(e));
  return { ...engine, events };
}

export const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
export const FIREFOX_LINUX_NEXT = 'Mozilla/5.0 (X11; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0';
export const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
export const CHROME_WINDOWS_NEXT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.6533.72 Safari/537.36';

/** Every distinct form a token could take when written somewhere: raw, hex, standard base64. */
export function tokenForms(token: string): string[] {
  const bytes = Buffer.from(token, 'base64url');
  return [
    token,
    bytes.toString('hex'),
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
  ];
}
