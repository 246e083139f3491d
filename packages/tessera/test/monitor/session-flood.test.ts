/**
 * Session flood: a loop creating anonymous sessions as fast as it can, from a fresh IPv6 /64 each
 * time (so the per-address creation limit never bites — the worst case), for a bounded time. With
 * the anonymous cap, live sessions stay at the cap and tombstones of evicted sessions only live
 * for the reuse grace window, so storage stays bounded by the cap plus a few seconds of creations;
 * without it, storage grows with every creation. Logged-in users are never evicted.
 * (The slow-down of logged-in requests under a flood is measured in bench/monitor/flood.ts.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { createDetector } from '../../src/monitor/detector.ts';
import { sqliteStore } from '../../src/stores/sqlite.ts';
import { FIREFOX_LINUX, keys } from '../helpers/engine.ts';

const CAP = 200;
const randomV6 = () => `2001:db8:${randomBytes(6).toString('hex').match(/.{4}/g)!.join(':')}::1`;

async function flood(withCap: boolean, ms: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-flood-'));
  const db = new Database(join(dir, 'sessions.db'));
  const manager = new SessionManager({
    store: sqliteStore({ database: db }),
    keys: keys(),
    reuseGrace: '1s',
    logger: { warn: () => {} },
  });
  const detector = createDetector(manager, {
    rules: { anonymousFlood: { action: withCap ? 'revoke' : 'off', maxAnonymous: CAP } },
  });
  const stopSweeper = manager.startSweeper({ every: 200, batch: 5000 });
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM tessera_${table}`).get() as { n: number }).n;
  try {
    const users = [];
    for (let i = 0; i < 20; i++)
      users.push(await manager.login(null, `user${i}`, {}, { ip: `10.0.0.${i}`, userAgent: FIREFOX_LINUX }));
    const created: number[] = [];
    const samples: Array<{ at: number; sessions: number; tombstones: number; recent: number }> = [];
    const end = Date.now() + ms;
    let nextSample = Date.now() + 250;
    while (Date.now() < end) {
      await Promise.all(
        Array.from({ length: 50 }, () => manager.create({ ip: randomV6(), userAgent: 'flood/1' }, { n: 1 })),
      );
      // Requests arrive as I/O, so timers (the sweeper) get their turn between them.
      await new Promise((r) => setImmediate(r));
      const now = Date.now();
      for (let i = 0; i < 50; i++) created.push(now);
      if (now >= nextSample) {
        nextSample = now + 250;
        await detector.settle();
        // Evicted sessions leave tombstones for the grace window (1 s); the sweeper runs every 0.2 s.
        const recent = created.filter((t) => t > now - 2500).length;
        samples.push({ at: now, sessions: count('sessions'), tombstones: count('tombstones'), recent });
      }
    }
    await detector.settle();
    await new Promise((r) => setTimeout(r, 1600));
    const after = { sessions: count('sessions'), tombstones: count('tombstones') };
    let usersOk = 0;
    for (const u of users)
      if ((await manager.validate(u.token, { ip: '10.0.0.1', userAgent: FIREFOX_LINUX })).ok) usersOk++;
    return { created: created.length, samples, after, usersOk };
  } finally {
    stopSweeper();
    detector.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test(`session flood with the anonymous cap (${CAP}): storage stays bounded, users stay logged in`, async () => {
  const r = await flood(true, 3000);
  assert.ok(r.created > 2 * CAP, `the flood created ${r.created} sessions`);
  for (const s of r.samples) {
    assert.ok(
      s.sessions <= CAP + 20 + 50,
      `live sessions ${s.sessions} at most the cap (+ users, + one batch in flight)`,
    );
    assert.ok(
      s.tombstones <= s.recent,
      `tombstones ${s.tombstones} only from the last seconds (${s.recent})`,
    );
  }
  assert.ok(r.after.sessions <= CAP + 20, `after the flood: ${r.after.sessions} live sessions`);
  assert.ok(r.after.tombstones <= 50, `after the flood: ${r.after.tombstones} tombstones left`);
  assert.equal(r.usersOk, 20, 'no logged-in user was evicted');
  console.log(
    `flood: ${r.created} sessions in 3 s; peak rows ${Math.max(...r.samples.map((s) => s.sessions + s.tombstones))}; after: ${JSON.stringify(r.after)}`,
  );
});

test('control: without the cap the same flood grows storage with every creation', async () => {
  const r = await flood(false, 1000);
  assert.ok(r.after.sessions >= r.created, `${r.after.sessions} live sessions of ${r.created} created`);
});
