/**
 * `@tessera-sessions/server`: Tessera as a service — the session API, the admin console and the
 * demo shop. Run it with `tessera serve`; embed it with {@link createService} and {@link listen}.
 * @module
 */
export { configFromEnv, configFromFile, resolveConfig, type ServerConfig } from './config.ts';
export { type Listening, listen } from './listen.ts';
export {
  createService,
  DEMO_USERS,
  type Service,
  type ServiceContext,
  type ServiceOptions,
} from './service.ts';
export { type ApiKeyInfo, SCOPES, type Scope } from './state/api-keys.ts';
