import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { UAParser } from 'ua-parser-js';
import type { SessionBinding, SessionDevice } from '../store/types.ts';

/** What the adapter knows about the client making a request. */
export interface RequestContext {
  /** Client address (after the app's own trusted-proxy handling). */
  ip?: string | null;
  /** Raw `User-Agent` header. */
  userAgent?: string | null;
  /**
   * When the request arrived, on the manager's clock, if the adapter saw it earlier than it
   * validates (Express validates after its body parser). A token renewed away is judged by when
   * the request carrying it arrived, so a slow upload is not taken for a replay. Default: now.
   */
  receivedAt?: number;
}

/** What to do when a binding no longer matches. */
export type BindingAction = 'off' | 'monitor' | 'step-up' | 'revoke';

const short = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);

interface ParsedUa {
  /** The User-Agent this was parsed from: records keep this string, so equal User-Agents share one copy. */
  raw: string;
  family: string;
  /** The browser's name without its mobile variant ("Mobile Safari" → "Safari"), hashed. */
  browserKey: string;
  browser: string | null;
  os: string | null;
  deviceType: string | null;
}

const UA_CACHE_MAX = 1000;
const uaCache = new Map<string, ParsedUa>();

/** Parses a User-Agent (cached): the family is browser name + OS name, stable across version updates. */
export function parseUserAgent(ua: string): ParsedUa {
  const hit = uaCache.get(ua);
  if (hit) return hit;
  const r = new UAParser(ua.slice(0, 512)).getResult();
  const parsed: ParsedUa = {
    raw: ua,
    family: short(`${r.browser.name ?? '?'}|${r.os.name ?? '?'}`),
    browserKey: short(`browser|${browserName(r.browser.name)}`),
    browser: r.browser.name ? `${r.browser.name}${r.browser.major ? ` ${r.browser.major}` : ''}` : null,
    os: r.os.name ? `${r.os.name}${r.os.version ? ` ${r.os.version}` : ''}` : null,
    deviceType: r.device.type ?? 'desktop',
  };
  if (uaCache.size >= UA_CACHE_MAX) uaCache.delete(uaCache.keys().next().value as string);
  uaCache.set(ua, parsed);
  return parsed;
}

/** A browser's name without its mobile/desktop variant, so that a mode switch is the same browser. */
function browserName(name: string | undefined): string {
  if (!name) return '?';
  return name.replace(/^Mobile\s+|\s+Mobile$/i, '').toLowerCase();
}

/** The network prefix of an address (`203.0.113.0/24`, `2001:db8:1::/48`), or null if it does not parse. */
export function ipPrefix(ip: string, v4Bits: number, v6Bits: number): string | null {
  if (!ipaddr.isValid(ip)) return null;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  const bits = addr.kind() === 'ipv4' ? v4Bits : v6Bits;
  const bytes = addr.toByteArray();
  const masked = bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return keep === 0 ? 0 : b & (0xff << (8 - keep));
  });
  return `${ipaddr.fromByteArray(masked).toString()}/${bits}`;
}

/** Binding and device facts for a new session. */
export function describeClient(
  ctx: RequestContext,
  v4Bits: number,
  v6Bits: number,
): { binding: SessionBinding; device: SessionDevice } {
  const ua = ctx.userAgent ?? null;
  const ip = ctx.ip ?? null;
  const parsed = ua ? parseUserAgent(ua) : null;
  return {
    binding: {
      uaHash: ua ? short(ua) : null,
      uaFamily: parsed?.family ?? null,
      uaBrowser: parsed?.browserKey ?? null,
      ipPrefix: ip ? ipPrefix(ip, v4Bits, v6Bits) : null,
    },
    device: {
      browser: parsed?.browser ?? null,
      os: parsed?.os ?? null,
      deviceType: parsed?.deviceType ?? null,
      firstIp: ip,
      lastIp: ip,
      userAgent: ua === null ? null : (parsed?.raw ?? ua).slice(0, MAX_UA_KEPT),
    },
  };
}

/** How much of the raw User-Agent a record keeps for display (admin consoles). */
const MAX_UA_KEPT = 512;

/**
 * True when the request comes from another browser than the one recorded (its name, not its OS or
 * device: a mode switch of the same browser is not a change). Records without `uaBrowser` compare
 * the older browser-and-OS family. Fast path: identical raw UA.
 */
export function userAgentChanged(binding: SessionBinding, ua: string | null | undefined): boolean {
  if (binding.uaFamily === null) return false;
  if (!ua) return true;
  // Cheapest first: a parsed-UA cache hit is a map look-up; hashing the raw UA costs a SHA-256.
  let parsed = uaCache.get(ua);
  if (parsed === undefined) {
    if (binding.uaHash !== null && short(ua) === binding.uaHash) return false;
    parsed = parseUserAgent(ua);
  }
  return typeof binding.uaBrowser === 'string'
    ? parsed.browserKey !== binding.uaBrowser
    : parsed.family !== binding.uaFamily;
}

/** True when the request's address is outside the recorded prefix. */
export function ipPrefixChanged(
  binding: SessionBinding,
  lastIp: string | null,
  ip: string | null | undefined,
  v4Bits: number,
  v6Bits: number,
): boolean {
  if (binding.ipPrefix === null || !ip || ip === lastIp) return false;
  return ipPrefix(ip, v4Bits, v6Bits) !== binding.ipPrefix;
}
