export type { DeviceCheck, EndpointResponse } from './device-bound-sessions.ts';
export { DeviceBoundSessions } from './device-bound-sessions.ts';
export type { DeviceBoundOptions, ResolvedDeviceBound } from './options.ts';
export { resolveDeviceBound } from './options.ts';
export type { DbscAlgorithm } from './proof.ts';
