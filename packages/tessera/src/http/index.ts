export {
  type AdapterOptions,
  authGuard,
  createAdapterHandler,
  deviceBoundGuard,
  freshGuard,
  type SessionGuard,
} from './adapter.ts';
export { type OptionCheck, optionChecks, validateAdapterOptions } from './adapter-options.ts';
export { type CookieRead, clearedCookie, readSessionCookie, sessionCookie } from './cookie-header.ts';
export {
  type CookieOptions,
  isLocalHost,
  type ResolvedCookie,
  resolveCookieOptions,
} from './cookie-options.ts';
export {
  type CsrfOptions,
  type CsrfRequest,
  type CsrfVerdict,
  checkCsrfHeaders,
  isSafeMethod,
} from './csrf.ts';
export type { DeviceBoundOptions, DeviceCheck, EndpointResponse } from './dbsc/index.ts';
export { nodeExchange, nodeRequestInfo, nodeResponseSink, writeEndpointResponse } from './node.ts';
export { clientErrorStatus, PROBLEM_CONTENT_TYPE, type ProblemDetails, toProblem } from './problem.ts';
export { RequestSession, type ResponseSink } from './request-session.ts';
export {
  createSessionHandler,
  type ErrorResponse,
  type RequestInfo,
  SessionHandler,
  type SessionHandlerOptions,
} from './session-handler.ts';
export {
  applyHeaders,
  endpointResponse,
  headersSink,
  type WebSession,
  webRequestInfo,
  webSession,
} from './web.ts';
