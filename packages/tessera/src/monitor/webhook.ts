import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { integerOption, rejectUnknownKeys } from '../config-check.ts';
import { ConfigError } from '../errors.ts';
import type { Detection } from './detections.ts';
import type { Detector } from './detector.ts';

/** Options of {@link webhookSink}. */
export interface WebhookOptions {
  /** Where to POST (https in production). */
  url: string;
  /** Shared secret for the HMAC-SHA-256 signature (at least 32 bytes). */
  secret: Buffer | string;
  /** Deliveries waiting at most (default 1000); when full, the oldest waiting one is dropped. */
  maxQueue?: number;
  /** Attempts per delivery (default 6). */
  maxAttempts?: number;
  /** First retry delay in ms (default 500), doubled each attempt with jitter, capped at `maxBackoff`. */
  backoff?: number;
  /** Cap of the retry delay in ms (default 60,000). */
  maxBackoff?: number;
  /** Per-request timeout in ms (default 10,000). */
  timeout?: number;
  /** Where delivery failures go (default `console.warn`); messages name the origin only. */
  onError?: (message: string) => void;
}

/** Delivery counters. */
export interface WebhookStats {
  delivered: number;
  failed: number;
  dropped: number;
  retries: number;
  queued: number;
}

/** What {@link webhookSink} returns. */
export interface WebhookSink {
  /** Queues one payload (a detection, or anything JSON) for delivery. */
  send(type: string, payload: unknown): void;
  /** Sends every detection of `detector`; returns an unsubscribe function. */
  attach(detector: Detector): () => void;
  readonly stats: Readonly<WebhookStats>;
  /** Resolves when the queue is empty (or after `timeoutMs`). */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops delivering; what is still queued is dropped. */
  stop(): void;
}

/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'tessera-signature';

/** Signs a body as {@link webhookSink} does (for receivers' tests). */
export function signWebhook(secret: Buffer | string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Checks a webhook signature the way a receiver should: the HMAC over the raw body, compared in
 * constant time, and a timestamp within `toleranceSeconds` (default 300) of now (against replays).
 */
export function verifyWebhookSignature(
  secret: Buffer | string,
  header: string | undefined,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string') return false;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Delivery {
  id: string;
  body: string;
  attempts: number;
}

/**
 * Sends detections to a security team's endpoint: JSON POSTs signed with HMAC-SHA-256
 * ({@link SIGNATURE_HEADER}, plus `tessera-delivery` with a unique id for de-duplication), one
 * at a time in order, retried with exponential backoff and jitter on network errors, 5xx, 408
 * and 429; other 4xx answers are final. The queue is bounded: under a storm the oldest waiting
 * deliveries are dropped and counted, never memory without bound.
 *
 * @example
 * const hooks = webhookSink({ url: 'https://siem.example/hooks/tessera', secret: process.env.HOOK_SECRET! });
 * hooks.attach(detector);
 */
export function webhookSink(options: WebhookOptions): WebhookSink {
  rejectUnknownKeys(
    options,
    ['url', 'secret', 'maxQueue', 'maxAttempts', 'backoff', 'maxBackoff', 'timeout', 'onError'],
    'webhook',
  );
  if (
    typeof options.url !== 'string' ||
    !URL.canParse(options.url) ||
    !/^https?:$/.test(new URL(options.url).protocol)
  )
    throw new ConfigError('webhook.url', 'must be an absolute http(s) URL.');
  const url = new URL(options.url);
  const secret = options.secret;
  if ((typeof secret !== 'string' && !Buffer.isBuffer(secret)) || Buffer.byteLength(secret) < 32)
    throw new ConfigError('webhook.secret', 'must be at least 32 bytes.');
  const maxQueue = integerOption(options.maxQueue ?? 1000, 'webhook.maxQueue', 1);
  const maxAttempts = integerOption(options.maxAttempts ?? 6, 'webhook.maxAttempts', 1);
  const backoff = integerOption(options.backoff ?? 500, 'webhook.backoff', 0);
  const maxBackoff = integerOption(options.maxBackoff ?? 60_000, 'webhook.maxBackoff', 0);
  const timeout = integerOption(options.timeout ?? 10_000, 'webhook.timeout', 1);
  const onError = options.onError ?? ((m: string) => console.warn(m));
  const where = `${url.origin}${url.pathname}`;
  const queue: Delivery[] = [];
  const stats: WebhookStats = { delivered: 0, failed: 0, dropped: 0, retries: 0, queued: 0 };
  let running = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const idle: Array<() => void> = [];

  const settleIdle = () => {
    if (queue.length === 0 && !running) for (const fn of idle.splice(0)) fn();
  };

  const attempt = async (d: Delivery): Promise<'ok' | 'retry' | 'final'> => {
    const t = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(secret, d.body, t),
          'tessera-delivery': d.id,
          'user-agent': 'tessera-webhook/1',
        },
        body: d.body,
        signal: AbortSignal.timeout(timeout),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'ok';
      if (res.status >= 500 || res.status === 408 || res.status === 429) return 'retry';
      onError(`tessera: webhook ${where} refused a delivery (${res.status}); not retried.`);
      return 'final';
    } catch (err) {
      const why = err instanceof Error ? err.name : 'error';
      if (d.attempts + 1 >= maxAttempts) onError(`tessera: webhook ${where} unreachable (${why}).`);
      return 'retry';
    }
  };

  const pump = async () => {
    if (running || stopped) return;
    running = true;
    try {
      while (queue.length > 0 && !stopped) {
        const d = queue[0]!;
        const outcome = await attempt(d);
        if (stopped) return;
        if (outcome === 'ok' || outcome === 'final' || d.attempts + 1 >= maxAttempts) {
          queue.shift();
          if (outcome === 'ok') stats.delivered++;
          else stats.failed++;
          continue;
        }
        d.attempts++;
        stats.retries++;
        const delay = Math.min(maxBackoff, backoff * 2 ** (d.attempts - 1)) * (0.5 + Math.random() / 2);
        await new Promise<void>((resolve) => {
          timer = setTimeout(resolve, delay);
          timer.unref();
        });
        timer = null;
      }
    } finally {
      running = false;
      stats.queued = queue.length;
      settleIdle();
    }
  };

  const send = (type: string, payload: unknown) => {
    if (stopped) return;
    const id = randomUUID();
    const body = JSON.stringify({ id, type, sentAt: new Date().toISOString(), data: payload });
    // The head may be in flight: drop the oldest one that is only waiting.
    if (queue.length >= maxQueue) {
      queue.splice(running ? 1 : 0, 1);
      stats.dropped++;
    }
    queue.push({ id, body, attempts: 0 });
    stats.queued = queue.length;
    void pump();
  };

  return {
    send,
    attach: (detector) => detector.onDetection((d: Detection) => send('detection', d)),
    stats,
    drain(timeoutMs = 30_000) {
      if (queue.length === 0 && !running) return Promise.resolve();
      return new Promise((resolve) => {
        // A ref'd timer: it keeps the process alive while someone waits for the queue to drain.
        const t = setTimeout(resolve, timeoutMs);
        idle.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      stats.dropped += queue.length;
      queue.length = 0;
      stats.queued = 0;
      running = false;
      settleIdle();
    },
  };
}
