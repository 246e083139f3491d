/** JSON views of sessions and events for the API (no token, no data envelope, no CSRF secret). */
import type { SessionDevice } from '@tessera-sessions/core';

/** The fields a session view needs (a `Session` or a store record). */
export interface SessionLike {
  id: string;
  userId: string | null;
  authLevel: number;
  authenticatedAt: number | null;
  createdAt: number;
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  rotatedAt: number;
  rememberMe: boolean;
  stepUpRequired: boolean;
  device: Readonly<SessionDevice>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The API's session object. `freshForMs` is the step-up window. */
export function sessionView(s: SessionLike, now: number, freshForMs: number) {
  return {
    id: s.id,
    userId: s.userId,
    authenticated: s.userId !== null,
    authLevel: s.authLevel,
    authenticatedAt: s.authenticatedAt === null ? null : iso(s.authenticatedAt),
    fresh: s.authenticatedAt !== null && !s.stepUpRequired && now - s.authenticatedAt <= freshForMs,
    stepUpRequired: s.stepUpRequired,
    createdAt: iso(s.createdAt),
    lastSeenAt: iso(s.lastSeenAt),
    rotatedAt: iso(s.rotatedAt),
    idleExpiresAt: iso(s.idleExpiresAt),
    absoluteExpiresAt: iso(s.absoluteExpiresAt),
    rememberMe: s.rememberMe,
    device: {
      browser: s.device.browser,
      os: s.device.os,
      deviceType: s.device.deviceType,
      firstIp: s.device.firstIp,
      lastIp: s.device.lastIp,
    },
  };
}
