/**
 * Runs `work`, rejecting after `timeoutMs` if it has not settled: a network store that cannot
 * answer must fail the request (the engine answers 503), never hold it forever. The work itself is
 * not cancelled; a late result is ignored.
 *
 * Every network-store call goes through here, so it costs one promise per call and no timer: the
 * pending calls sit in one set, and a single ticker (every {@link TICK_MS} ms, only while calls
 * are pending) fails the ones past their deadline. A call therefore fails between `timeoutMs` and
 * `timeoutMs + TICK_MS` after it started.
 */
export function bounded<T>(
  store: string,
  operation: string,
  timeoutMs: number,
  work: Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const call: PendingCall = { deadline: Date.now() + timeoutMs, reject, store, operation, timeoutMs };
    pending.add(call);
    if (ticker === null) ticker = setInterval(failOverdue, TICK_MS);
    work.then(
      (value) => {
        pending.delete(call);
        resolve(value);
      },
      (err: unknown) => {
        pending.delete(call);
        reject(err);
      },
    );
  });
}

/** How often overdue calls are looked for (ms). */
export const TICK_MS = 10;

interface PendingCall {
  readonly deadline: number;
  readonly reject: (err: Error) => void;
  readonly store: string;
  readonly operation: string;
  readonly timeoutMs: number;
}

const pending = new Set<PendingCall>();
let ticker: NodeJS.Timeout | null = null;

function failOverdue(): void {
  if (pending.size === 0) {
    // Nothing in flight: stop until the next call (the ticker keeps the process alive only while
    // a call is pending, as a timer per call would).
    clearInterval(ticker!);
    ticker = null;
    return;
  }
  const now = Date.now();
  for (const call of pending) {
    if (call.deadline > now) continue;
    pending.delete(call);
    call.reject(new Error(`${call.store}: ${call.operation} did not complete within ${call.timeoutMs} ms.`));
  }
}
