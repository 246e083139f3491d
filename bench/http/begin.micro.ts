/**
 * In-process cost of the HTTP layer's per-request work (no sockets): build the request view and
 * sink, `begin`, `requireAuth`, over a memory-store session. Prints ns per request.
 *   npx tsx --conditions=tessera-source bench/http/begin.micro.ts
 */

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createKeyRing, createSessionManager } from '@tessera-sessions/core';
import { nodeSessions } from '@tessera-sessions/core/node';
import { memoryStore } from '@tessera-sessions/core/stores/memory';

const manager = createSessionManager({
  store: memoryStore(),
  keys: createKeyRing([{ id: 'b', key: randomBytes(32) }]),
  creationRateLimit: false,
});
const sessions = nodeSessions(manager);
const UA = 'Mozilla/5.0 (X11; Linux x86_64) tessera-bench';
const ctx = { ip: '127.0.0.1', userAgent: UA };
const issued = await manager.login(null, 'alice', {}, ctx);
const socket = { remoteAddress: '127.0.0.1', encrypted: false };
function fakeRes(): ServerResponse {
  const h = new Map<string, unknown>();
  return {
    headersSent: false,
    setHeader(k: string, v: unknown) {
      h.set(k.toLowerCase(), v);
      return this;
    },
    getHeader(k: string) {
      return h.get(k.toLowerCase());
    },
  } as unknown as ServerResponse;
}
function fakeReq(): IncomingMessage {
  return {
    method: 'GET',
    url: '/me',
    headers: { host: '127.0.0.1:3000', 'user-agent': UA, cookie: `__Host-sid=${issued.token}` },
    socket,
  } as unknown as IncomingMessage;
}
async function once(): Promise<void> {
  const req = fakeReq();
  const s = await sessions.getSession(req, fakeRes());
  s.requireAuth();
}
const N = Number(process.env.N ?? 300_000);
for (let i = 0; i < N; i++) await once();
for (let r = 0; r < 5; r++) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await once();
  const d = process.cpuUsage(t0);
  console.log(`${(((d.user + d.system) * 1000) / N).toFixed(0)} ns/request (cpu)`);
}
