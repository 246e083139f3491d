/**
 * OpenID Connect integration: the Back-Channel Logout 1.0 receiver.
 * @module
 */
export {
  BACKCHANNEL_LOGOUT_EVENT,
  type BackChannelLogout,
  type BackChannelLogoutOptions,
  type BackChannelLogoutResponse,
  backChannelLogout,
} from './back-channel-logout.ts';
export { memoryReplayCache, type ReplayCache } from './replay-cache.ts';
