/** Source of the current time in milliseconds. Inject a frozen one in tests. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };
