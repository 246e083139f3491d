import { integerOption, rejectUnknownKeys } from '../config-check.ts';
import { type Duration, parseDuration } from '../duration.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from './options.ts';

/** Options of `SessionManager.startSweeper`. */
export interface SweeperOptions {
  /** How often a sweep starts. Default `'5m'`. */
  every?: Duration;
  /** Records removed per store call; a sweep goes on while batches come back full. Default 500. */
  batch?: number;
}

/** Batches in one sweep at most, so a store that keeps answering "full" cannot hold the timer forever. */
const MAX_BATCHES = 100;

/**
 * Runs `sweep(batch)` every `every`, in batches until one comes back short. A sweep never overlaps
 * the previous one; a failing sweep is logged (never thrown into the timer). The timer does not
 * keep the process alive. Returns the function that stops it.
 * @internal The engine's `startSweeper` is the public entry.
 */
export function startSweeper(
  sweep: (batch: number) => Promise<number>,
  logger: Logger,
  options: SweeperOptions = {},
): () => void {
  rejectUnknownKeys(options, ['every', 'batch'], 'startSweeper');
  const every = parseDuration(options.every ?? '5m', 'startSweeper.every');
  if (every < 1) throw new ConfigError('startSweeper.every', 'must be at least 1 ms.');
  const batch = integerOption(options.batch ?? 500, 'startSweeper.batch', 1);
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      for (let i = 0; i < MAX_BATCHES && (await sweep(batch)) === batch; i++);
    } catch (err) {
      logger.warn(`tessera: sweep failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, every);
  timer.unref();
  return () => clearInterval(timer);
}
