import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createSessionManager } from '../../src/index.ts';
import { memoryStore } from '../../src/stores/memory.ts';

describe('background sweeper', () => {
  test('removes expired sessions in batches until done, and stops when told', async () => {
    let t = 1_000_000;
    const store = memoryStore();
    const manager = createSessionManager({
      store,
      clock: { now: () => t },
      keys: [{ id: 'k', key: Buffer.alloc(32, 1) }],
      creationRateLimit: false,
    });
    for (let i = 0; i < 25; i++) await manager.login(null, `u${i}`);
    assert.equal(store.size, 25);
    t += 13 * 3_600_000; // past the absolute deadline
    const stop = manager.startSweeper({ every: 20, batch: 10 });
    try {
      for (let i = 0; i < 100 && store.size > 0; i++) await delay(10);
      assert.equal(store.size, 0, 'every expired session was swept (three batches of at most 10)');
    } finally {
      stop();
    }
    await manager.login(null, 'late');
    t += 13 * 3_600_000;
    await delay(60);
    assert.equal(store.size, 1, 'a stopped sweeper sweeps nothing more');
  });

  test('invalid batch sizes are refused naming the field', () => {
    const manager = createSessionManager({
      store: memoryStore(),
      keys: [{ id: 'k', key: Buffer.alloc(32, 1) }],
    });
    assert.throws(() => manager.startSweeper({ batch: 0 }), {
      code: 'CONFIG_INVALID',
      message: /startSweeper\.batch/,
    });
    assert.throws(() => manager.startSweeper({ every: 'soon' as '1m' }), {
      code: 'CONFIG_INVALID',
      message: /startSweeper\.every/,
    });
  });
});
