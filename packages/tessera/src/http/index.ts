export { clearedCookie, readSessionCookie, sessionCookie, type CookieRead } from './cookie-header.ts';
export { isLocalHost, resolveCookieOptions, type CookieOptions, type ResolvedCookie } from './cookie-options.ts';
export { checkCsrfHeaders, isSafeMethod, type CsrfOptions, type CsrfRequest, type CsrfVerdict } from './csrf.ts';
export { nodeRequestInfo, nodeResponseSink } from './node.ts';
export { PROBLEM_CONTENT_TYPE, toProblem, type ProblemDetails } from './problem.ts';
export { RequestSession, type ResponseSink } from './request-session.ts';
export {
  createSessionHandler,
  SessionHandler,
  type ErrorResponse,
  type RequestInfo,
  type SessionHandlerOptions,
} from './session-handler.ts';
export { headersSink, webRequestInfo, webSession, type WebSession } from './web.ts';
