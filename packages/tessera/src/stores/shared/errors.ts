import { StoreUnavailableError, TesseraError } from '../../errors.ts';
import type { Store } from '../../store/types.ts';

/**
 * The one rule for what a store lets out: a {@link TesseraError} passes unchanged (the duplicate-id
 * `DuplicateSessionError`, code `SESSION_CONFLICT`, is one); anything else the backend threw (a
 * refused connection, a timeout, a driver or SQL error) becomes `StoreUnavailableError`
 * (`STORE_UNAVAILABLE`, 503) naming the operation. The original error is kept as `cause` for the
 * operator's logs; the message never repeats it (a driver's text can quote the values it was sent).
 */
export function storeError(operation: string, err: unknown): TesseraError {
  return err instanceof TesseraError ? err : new StoreUnavailableError(operation, { cause: err });
}

/** Every method name of the Store contract. */
const METHODS = [
  'create',
  'get',
  'update',
  'touch',
  'rotate',
  'delete',
  'getTombstone',
  'listByUser',
  'deleteByUser',
  'deleteFamily',
  'sweep',
  'search',
  'countLive',
  'listByFederated',
  'close',
] as const satisfies ReadonlyArray<Exclude<keyof Store, 'getSync'>>;

/**
 * Returns `store` with every Store method's rejection (and `getSync`'s throw) passed through
 * {@link storeError}; other properties (a store's own extras, such as `migrate` or `stats`) are
 * kept as they are, getters included. The wrapper adds one `.then` per call, no `async` frame.
 */
export function withStoreErrors<S extends Store>(store: S): S {
  const wrapped: Record<string, unknown> = {};
  const map =
    (name: string, fn: (...args: unknown[]) => Promise<unknown>) =>
    (...args: unknown[]): Promise<unknown> => {
      let result: Promise<unknown>;
      try {
        result = fn(...args);
      } catch (err) {
        return Promise.reject(storeError(name, err));
      }
      return result.then(undefined, (err: unknown) => {
        throw storeError(name, err);
      });
    };
  for (const name of METHODS) {
    const fn = store[name] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (typeof fn === 'function') wrapped[name] = map(name, fn.bind(store));
  }
  for (const name of ['getSync', 'peekSync'] as const) {
    const sync = store[name]?.bind(store);
    if (sync) {
      wrapped[name] = (id: string) => {
        try {
          return sync(id);
        } catch (err) {
          throw storeError('get', err);
        }
      };
    }
  }
  // Everything else (own extras) as it is, getters included.
  const out: Record<string, unknown> = {};
  for (const key of Reflect.ownKeys(store)) {
    if (typeof key === 'string' && key in wrapped) continue;
    Object.defineProperty(out, key, Object.getOwnPropertyDescriptor(store, key)!);
  }
  return Object.assign(out, wrapped) as S;
}
