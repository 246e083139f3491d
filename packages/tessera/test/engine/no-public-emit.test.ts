/**
 * Nobody outside Tessera can publish an event: a forged `session.reuse` would make a detector
 * revoke every session of a user, and a forged `session.revoked` would fill an audit log with lies.
 * The attack: call every method reachable from the manager and its event bus — string and symbol
 * keys, up the prototype chain — with a forged event, and look for it among delivered events.
 * Then check that no package entry point exports a way to publish.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { SessionEvent } from '../../src/engine/events.ts';
import { harness } from '../helpers/engine.ts';

const forged: SessionEvent = {
  type: 'session.reuse',
  at: 0,
  sessionId: 'forged-session',
  userId: 'victim',
  ip: '203.0.113.66',
  family: 'forged-family',
  revoked: 0,
};

/** Every function-valued property of `obj`, string or symbol keyed, own or inherited (not Object's). */
function methodsOf(obj: object): Array<[string | symbol, (...args: unknown[]) => unknown]> {
  const found = new Map<string | symbol, (...args: unknown[]) => unknown>();
  for (let p: object | null = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Reflect.ownKeys(p)) {
      if (key === 'constructor' || found.has(key)) continue;
      const d = Object.getOwnPropertyDescriptor(p, key);
      if (d && typeof d.value === 'function') found.set(key, d.value);
    }
  }
  return [...found];
}

describe('events cannot be forged through the public API', () => {
  test('no emit on the manager or on its event bus', () => {
    const h = harness('memory');
    try {
      assert.equal('emit' in h.manager, false);
      assert.equal('emit' in h.manager.events, false);
    } finally {
      h.close();
    }
  });

  test('no method of the manager or its bus delivers a forged event', async () => {
    const h = harness('memory');
    try {
      const targets: Array<[string, object]> = [
        ['manager', h.manager],
        ['manager.events', h.manager.events],
      ];
      const stops: Array<() => void> = [];
      for (const [where, target] of targets) {
        for (const [key, fn] of methodsOf(target)) {
          if (key === 'on') continue; // subscribing; the recorder below is subscribed through it
          for (const args of [[forged], [forged, forged], ['forged-session', forged], [null, forged]]) {
            try {
              const out = fn.apply(target, args);
              if (typeof out === 'function') stops.push(out as () => void); // startSweeper's stop
              if (out instanceof Promise) await out.catch(() => {});
            } catch {
              // refusing the forged argument is fine
            }
          }
          assert.ok(
            !h.events.some((e) => e.type === 'session.reuse' || e.userId === 'victim'),
            `${where}[${String(key)}] delivered a forged event`,
          );
        }
      }
      for (const stop of stops) stop();
    } finally {
      h.close();
    }
  });

  test('no package entry point exports a way to publish', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, string | { 'tessera-source'?: string }>;
    };
    const entries = Object.values(pkg.exports)
      .map((e) => (typeof e === 'string' ? undefined : e['tessera-source']))
      .filter((p): p is string => typeof p === 'string');
    assert.ok(entries.length >= 10, `found ${entries.length} entry points`);
    for (const entry of entries) {
      let mod: Record<string, unknown>;
      try {
        mod = (await import(new URL(`../../${entry}`, import.meta.url).href)) as Record<string, unknown>;
      } catch (err) {
        // An entry whose optional peer (ioredis, pg, prom-client, …) is not installed cannot be loaded at all.
        if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') continue;
        throw err;
      }
      for (const name of Object.keys(mod))
        assert.ok(!/emit|deliver|publish/i.test(name), `${entry} exports ${name}`);
    }
  });
});
