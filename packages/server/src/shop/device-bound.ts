/**
 * The shop's Device Bound Session Credentials settings, in one place because two parts enforce them:
 * the shop's session middleware and the reverse-proxy endpoint `GET /v1/auth`, which must hold a
 * bound session to the same proof (its bound cookie) and the same policy when it is missing.
 */
import type { DeviceBoundOptions } from '@tessera-sessions/core/http';

/**
 * `optional`: a browser that supports DBSC registers a key at login and keeps its session only
 * while it can prove it; other browsers are unaffected. A bound session seen without its bound
 * cookie is treated as stolen and revoked (`onMissingProof` default).
 */
export const SHOP_DEVICE_BOUND: DeviceBoundOptions = {};
