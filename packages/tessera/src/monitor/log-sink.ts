import type { SessionEvent, SessionEventType } from '../engine/events.ts';
import type { SessionManager } from '../engine/session-manager.ts';

/** The part of a pino (or pino-compatible) logger the sink uses. */
export interface StructuredLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** Level of each event: security signals warn, routine lifecycle is info, high-volume noise is debug. */
export const EVENT_LEVELS: Readonly<Record<SessionEventType, 'debug' | 'info' | 'warn'>> = Object.freeze({
  'session.created': 'info',
  'session.authenticated': 'info',
  'session.rotated': 'info',
  'session.touched': 'debug',
  'session.step_up': 'info',
  'session.revoked': 'info',
  'session.expired': 'info',
  'session.binding_mismatch': 'warn',
  'session.reuse': 'warn',
  'session.csrf_rejected': 'warn',
  'session.invalid_token': 'debug',
  'session.rate_limited': 'warn',
  'session.limit_reached': 'warn',
  'session.admin_action': 'info',
  'session.dbsc_registered': 'info',
  'session.dbsc_refreshed': 'debug',
  'session.dbsc_proof_failed': 'warn',
  'session.dbsc_skipped': 'info',
  'session.backchannel_logout': 'info',
  'session.backchannel_logout_rejected': 'warn',
});

/**
 * Writes every engine event as one structured log line (`{ event: 'session.revoked', sessionId,
 * userId, ip, userAgent, reason, … }`, message = the event type). Events carry no token or
 * session data, so neither do the lines. Returns a function that stops logging.
 *
 * @example
 * import pino from 'pino';
 * logSink(manager, pino());
 */
export function logSink(
  manager: SessionManager,
  logger: StructuredLogger,
  options: { levels?: Partial<Record<SessionEventType, 'debug' | 'info' | 'warn' | 'off'>> } = {},
): () => void {
  const levels = { ...EVENT_LEVELS, ...options.levels };
  return manager.events.on('*', (e: SessionEvent) => {
    const level = levels[e.type] ?? 'info';
    if (level === 'off') return;
    const { type, ...fields } = e;
    const line = { event: type, ...fields };
    if (level === 'warn') logger.warn(line, type);
    else if (level === 'debug') (logger.debug ?? logger.info).call(logger, line, type);
    else logger.info(line, type);
  });
}
