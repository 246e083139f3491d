import { AuditError } from '../errors.ts';

/** Bounds every probe: a request-rate cap, a total request count and a wall-clock budget. */
export interface Limits {
  requestsPerSecond: number;
  concurrency: number;
  maxRequests: number;
  totalTimeMs: number;
  requestTimeoutMs: number;
}

/** Default bounds: polite enough for a staging server, fast enough for CI. */
export const DEFAULT_LIMITS: Limits = {
  requestsPerSecond: 200,
  concurrency: 8,
  maxRequests: 50_000,
  totalTimeMs: 15 * 60_000,
  requestTimeoutMs: 10_000,
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Hands out permission to send one request: spaces requests to the rate cap, refuses once
 * the request count or time budget is spent.
 */
export class Throttle {
  readonly limits: Limits;
  readonly startedAt = Date.now();
  #sent = 0;
  #nextSlot = 0;

  constructor(limits: Limits) {
    this.limits = limits;
  }

  get sent(): number {
    return this.#sent;
  }

  /** Milliseconds left of the total budget. */
  remainingMs(): number {
    return this.startedAt + this.limits.totalTimeMs - Date.now();
  }

  /** Waits for the next rate slot; throws REQUEST_LIMIT or TIME_BUDGET_EXCEEDED when spent. */
  async acquire(): Promise<void> {
    if (this.#sent >= this.limits.maxRequests) {
      throw new AuditError('REQUEST_LIMIT', `request limit of ${this.limits.maxRequests} reached`);
    }
    if (this.remainingMs() <= 0) {
      throw new AuditError(
        'TIME_BUDGET_EXCEEDED',
        `total time budget of ${this.limits.totalTimeMs} ms spent`,
      );
    }
    this.#sent++;
    const interval = 1000 / this.limits.requestsPerSecond;
    const now = Date.now();
    const slot = Math.max(now, this.#nextSlot);
    this.#nextSlot = slot + interval;
    if (slot > now) await sleep(slot - now);
  }
}

/** Runs `task` for each item with at most `concurrency` in flight; results keep input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}
