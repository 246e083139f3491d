/**
 * Runs `work`, rejecting after `timeoutMs` if it has not settled: a network store that cannot
 * answer must fail the request (the engine answers 503), never hold it forever. The work itself is
 * not cancelled; a late result is ignored.
 */
export function bounded<T>(
  store: string,
  operation: string,
  timeoutMs: number,
  work: Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${store}: ${operation} did not complete within ${timeoutMs} ms.`)),
      timeoutMs,
    );
  });
  work.catch(() => undefined); // a rejection after the timeout is not "unhandled"
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
