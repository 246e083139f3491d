/**
 * The background sweeper on mocked timers (node:test `mock.timers`): no wall-clock waits, every
 * interval and batch counted exactly. The store is SQLite, which keeps expired rows until swept.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Harness, HOUR, harness, MINUTE } from '../helpers/engine.ts';

/** Lets the sweep's promise chain run (setImmediate is not mocked). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Records what every store sweep returned. */
function recordSweeps(h: Harness): number[] {
  const results: number[] = [];
  const inner = h.store.sweep;
  h.store.sweep = async (now, limit) => {
    const n = await inner(now, limit);
    results.push(n);
    return n;
  };
  return results;
}

async function expiredSessions(h: Harness, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await h.manager.login(null, `u${i}`);
  h.clock.advance(13 * HOUR); // past the absolute deadline (12 h)
}

describe('background sweeper (mocked timers)', () => {
  test('sweeps once per interval, in batches until one comes back short; stop() ends it', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const h = harness('sqlite');
    try {
      await expiredSessions(h, 25);
      const sweeps = recordSweeps(h);
      const stop = h.manager.startSweeper({ every: '1m', batch: 10 });
      t.mock.timers.tick(MINUTE - 1);
      await flush();
      assert.deepEqual(sweeps, [], 'nothing before the first interval');
      t.mock.timers.tick(1);
      await flush();
      assert.deepEqual(sweeps, [10, 10, 5], 'three batches: two full, one short');
      t.mock.timers.tick(MINUTE);
      await flush();
      assert.deepEqual(sweeps, [10, 10, 5, 0], 'the next interval finds nothing left');
      stop();
      await h.manager.login(null, 'late');
      h.clock.advance(13 * HOUR);
      t.mock.timers.tick(10 * MINUTE);
      await flush();
      assert.deepEqual(sweeps, [10, 10, 5, 0], 'a stopped sweeper sweeps nothing more');
    } finally {
      h.close();
    }
  });

  test('a sweep never overlaps the one still running', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const h = harness('sqlite');
    try {
      let calls = 0;
      let release: (n: number) => void = () => {};
      h.store.sweep = () => {
        calls++;
        return new Promise<number>((r) => {
          release = r;
        });
      };
      const stop = h.manager.startSweeper({ every: '1m', batch: 10 });
      t.mock.timers.tick(MINUTE);
      await flush();
      t.mock.timers.tick(5 * MINUTE);
      await flush();
      assert.equal(calls, 1, 'five more intervals passed while the first sweep hung');
      release(0);
      await flush();
      t.mock.timers.tick(MINUTE);
      await flush();
      assert.equal(calls, 2, 'the next interval after it finished sweeps again');
      stop();
    } finally {
      h.close();
    }
  });

  test('a failing sweep is logged without the store error text leaking, and retried next interval', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const warnings: string[] = [];
    const h = harness('sqlite', { logger: { warn: (m) => warnings.push(m) } });
    try {
      await expiredSessions(h, 3);
      const stop = h.manager.startSweeper({ every: '1m', batch: 10 });
      h.store.failing.add('sweep');
      t.mock.timers.tick(MINUTE);
      await flush();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /sweep failed/);
      assert.doesNotMatch(warnings[0]!, /ECONNREFUSED/, 'the store error stays in `cause`');
      h.store.failing.clear();
      const sweeps = recordSweeps(h);
      t.mock.timers.tick(MINUTE);
      await flush();
      assert.deepEqual(sweeps, [3]);
      stop();
    } finally {
      h.close();
    }
  });

  test('one sweep takes at most 100 batches, so a store that always answers "full" cannot hold it', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const h = harness('sqlite');
    try {
      let calls = 0;
      h.store.sweep = async (_now, limit) => {
        calls++;
        return limit;
      };
      const stop = h.manager.startSweeper({ every: '1m', batch: 7 });
      t.mock.timers.tick(MINUTE);
      await flush();
      await flush();
      assert.equal(calls, 100);
      stop();
    } finally {
      h.close();
    }
  });

  test('bad options are refused naming the field', () => {
    const h = harness('memory');
    try {
      const bad: Array<[Record<string, unknown>, RegExp]> = [
        [{ batch: 0 }, /startSweeper\.batch/],
        [{ batch: 1.5 }, /startSweeper\.batch/],
        [{ every: 'soon' }, /startSweeper\.every/],
        [{ every: 0 }, /startSweeper\.every/],
        [{ interval: '1m' }, /startSweeper\.interval/],
      ];
      for (const [options, field] of bad)
        assert.throws(() => h.manager.startSweeper(options as never), {
          code: 'CONFIG_INVALID',
          message: field,
        });
    } finally {
      h.close();
    }
  });
});
