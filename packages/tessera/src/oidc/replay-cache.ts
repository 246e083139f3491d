import { integerOption, rejectUnknownKeys } from '../config-check.ts';

/**
 * Remembers token ids (`jti`) until they could no longer pass validation anyway, so a captured
 * token cannot be replayed.
 */
export interface ReplayCache {
  /**
   * Records `key` until `expiresAt` (ms) and resolves false — or resolves true when `key` was
   * already recorded and has not expired (a replay). Must be atomic (check-and-set).
   */
  seen(key: string, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * A replay cache in this process: enough for one node; with several nodes, a replay to another node
 * would revoke sessions that are already revoked (harmless), but pass a shared one to refuse it.
 * Bounded: at `maxEntries` the oldest entries are dropped first.
 */
export function memoryReplayCache(options: { maxEntries?: number; now?: () => number } = {}): ReplayCache {
  rejectUnknownKeys(options, ['maxEntries', 'now'], 'memoryReplayCache');
  const max = integerOption(options.maxEntries ?? 100_000, 'memoryReplayCache.maxEntries', 1);
  const now = options.now ?? Date.now;
  const entries = new Map<string, number>();
  return {
    seen(key, expiresAt) {
      const t = now();
      const at = entries.get(key);
      if (at !== undefined && at > t) return true;
      if (entries.size >= max) {
        for (const [k, exp] of entries) {
          if (exp <= t || entries.size >= max) entries.delete(k);
          else break;
        }
      }
      entries.delete(key);
      entries.set(key, expiresAt);
      return false;
    },
  };
}
