/**
 * The OpenAPI 3.1 description of the session API, served at `/v1/openapi.json`. The API tests
 * check every real response against the schemas here, so the document cannot drift from the code.
 */

const iso = { type: 'string', format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const errors = {
  '400': problem('Malformed JSON, wrong types, unknown fields (code REQUEST_INVALID; `field` names it).'),
  '401': problem(
    'API key missing or invalid (API_KEY_INVALID), or the token names no live session (SESSION_INVALID).',
  ),
  '403': problem('The API key lacks the scope (API_KEY_SCOPE).'),
  '413': problem('Body larger than 16 KiB (BODY_TOO_LARGE).'),
  '415': problem('Body not application/json (UNSUPPORTED_MEDIA_TYPE).'),
  '429': problem('Too many bad API keys from this address, or too many new sessions (RATE_LIMITED).'),
  '503': problem('The session store is unavailable (STORE_UNAVAILABLE); nothing was changed.'),
};
const body = (schema: object) => ({ required: true, content: json(schema) });
const issued = {
  '200': { description: 'A new token for the session.', content: json(ref('IssuedSession')) },
};
const sessionIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
  description: 'The public session id (SHA-256 of the token).',
};
const userIdParam = {
  name: 'userId',
  in: 'path',
  required: true,
  schema: { type: 'string', minLength: 1, maxLength: 256 },
};

/** The document. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Tessera session API',
    version: '1.0.0',
    description:
      'Centralized session management over HTTP. Authenticate with `Authorization: Bearer <API key>`; keys carry the scopes `validate`, `manage` and `admin` (admin implies the others). Tokens are sent only in request bodies, never in URLs.',
  },
  servers: [{ url: '/' }],
  security: [{ apiKey: [] }],
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key `tsk_…`.' } },
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail', 'code'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          code: { type: 'string', pattern: '^[A-Z_]+$' },
          field: { type: 'string' },
          reason: { type: 'string' },
        },
        additionalProperties: false,
      },
      Client: {
        type: 'object',
        description: "The end user's client, for binding checks and the device list.",
        properties: { ip: { type: 'string', maxLength: 64 }, userAgent: { type: 'string', maxLength: 1024 } },
        additionalProperties: false,
      },
      Device: {
        type: 'object',
        required: ['browser', 'os', 'deviceType', 'firstIp', 'lastIp'],
        properties: {
          browser: nullableString,
          os: nullableString,
          deviceType: nullableString,
          firstIp: nullableString,
          lastIp: nullableString,
        },
        additionalProperties: false,
      },
      Session: {
        type: 'object',
        required: [
          'id',
          'userId',
          'authenticated',
          'authLevel',
          'authenticatedAt',
          'fresh',
          'stepUpRequired',
          'createdAt',
          'lastSeenAt',
          'rotatedAt',
          'idleExpiresAt',
          'absoluteExpiresAt',
          'rememberMe',
          'device',
        ],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
          userId: nullableString,
          authenticated: { type: 'boolean' },
          authLevel: { type: 'integer' },
          authenticatedAt: { type: ['string', 'null'], format: 'date-time' },
          fresh: { type: 'boolean', description: 'Authenticated within the step-up window (default 5 min).' },
          stepUpRequired: { type: 'boolean' },
          createdAt: iso,
          lastSeenAt: iso,
          rotatedAt: iso,
          idleExpiresAt: iso,
          absoluteExpiresAt: iso,
          rememberMe: { type: 'boolean' },
          device: ref('Device'),
        },
        additionalProperties: false,
      },
      IssuedSession: {
        type: 'object',
        required: ['token', 'setCookie', 'session'],
        properties: {
          token: {
            type: 'string',
            description: 'The new token, shown once. Give it to the client as a cookie.',
          },
          setCookie: { type: 'string', description: "A Set-Cookie value with Tessera's cookie defaults." },
          session: ref('Session'),
        },
        additionalProperties: false,
      },
      Validation: {
        oneOf: [
          {
            type: 'object',
            required: ['valid', 'session', 'data', 'renewedToken', 'setCookie'],
            properties: {
              valid: { const: true },
              session: ref('Session'),
              data: { description: 'The session data (JSON), or null.' },
              renewedToken: {
                type: ['string', 'null'],
                description: 'A new token when the session was renewed: replace the cookie.',
              },
              setCookie: nullableString,
            },
            additionalProperties: false,
          },
          {
            type: 'object',
            required: ['valid', 'reason'],
            properties: {
              valid: { const: false },
              reason: { enum: ['missing', 'malformed', 'unknown', 'expired', 'revoked', 'reuse', 'binding'] },
            },
            additionalProperties: false,
          },
        ],
      },
      Detection: {
        type: 'object',
        required: [
          'id',
          'rule',
          'action',
          'severity',
          'at',
          'sessionId',
          'userId',
          'ip',
          'summary',
          'acknowledged',
        ],
        properties: {
          id: { type: 'string' },
          rule: { type: 'string' },
          action: { enum: ['flag', 'step-up', 'revoke', 'throttle'] },
          severity: { enum: ['low', 'medium', 'high'] },
          at: iso,
          sessionId: nullableString,
          userId: nullableString,
          ip: nullableString,
          summary: { type: 'string' },
          acknowledged: {
            type: ['object', 'null'],
            required: ['at', 'by', 'note'],
            properties: { at: iso, by: { type: 'string' }, note: nullableString },
            additionalProperties: false,
          },
        },
        additionalProperties: false,
      },
      Event: {
        type: 'object',
        required: ['type', 'at', 'sessionId', 'userId', 'ip'],
        properties: {
          type: { type: 'string', pattern: '^session\\.' },
          at: iso,
          sessionId: nullableString,
          userId: nullableString,
          ip: nullableString,
        },
      },
    },
  },
  paths: {
    '/v1/openapi.json': {
      get: {
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1 document.' } },
      },
    },
    '/v1/sessions': {
      post: {
        summary: 'Issue a session for a user (scope manage)',
        requestBody: body({
          type: 'object',
          required: ['userId'],
          properties: {
            userId: { type: 'string', minLength: 1, maxLength: 256 },
            authLevel: { type: 'integer', minimum: 0, maximum: 10 },
            rememberMe: { type: 'boolean' },
            client: ref('Client'),
            data: { description: 'Initial session data (JSON, sealed at rest).' },
          },
          additionalProperties: false,
        }),
        responses: { '201': { description: 'Issued.', content: json(ref('IssuedSession')) }, ...errors },
      },
    },
    '/v1/sessions/validate': {
      post: {
        summary: 'Validate a token (scope validate)',
        requestBody: body({
          type: 'object',
          required: ['token'],
          properties: { token: { type: 'string' }, client: ref('Client') },
          additionalProperties: false,
        }),
        responses: { '200': { description: 'The verdict.', content: json(ref('Validation')) }, ...errors },
      },
    },
    '/v1/sessions/rotate': {
      post: {
        summary: 'Rotate the token after a privilege change (scope manage)',
        requestBody: body({
          type: 'object',
          required: ['token'],
          properties: { token: { type: 'string' }, authLevel: { type: 'integer' }, client: ref('Client') },
          additionalProperties: false,
        }),
        responses: { ...issued, ...errors },
      },
    },
    '/v1/sessions/reauthenticate': {
      post: {
        summary: 'Record a fresh authentication (step-up) and rotate (scope manage)',
        requestBody: body({
          type: 'object',
          required: ['token'],
          properties: { token: { type: 'string' }, authLevel: { type: 'integer' }, client: ref('Client') },
          additionalProperties: false,
        }),
        responses: { ...issued, ...errors },
      },
    },
    '/v1/sessions/logout': {
      post: {
        summary: 'End the session of a token (scope manage). Idempotent.',
        requestBody: body({
          type: 'object',
          required: ['token'],
          properties: { token: { type: 'string' }, client: ref('Client') },
          additionalProperties: false,
        }),
        responses: { '204': { description: 'Ended (or was not live).' }, ...errors },
      },
    },
    '/v1/sessions/{id}': {
      get: {
        summary: 'A live session by its public id (scope manage)',
        parameters: [sessionIdParam],
        responses: {
          '200': {
            description: 'The session.',
            content: json({
              type: 'object',
              required: ['session'],
              properties: { session: ref('Session') },
              additionalProperties: false,
            }),
          },
          '404': problem('No live session with this id (NOT_FOUND).'),
          ...errors,
        },
      },
      delete: {
        summary: 'Revoke a session by its public id (scope manage)',
        parameters: [sessionIdParam],
        responses: {
          '204': { description: 'Revoked.' },
          '404': problem('No live session with this id (NOT_FOUND).'),
          ...errors,
        },
      },
    },
    '/v1/users/{userId}/sessions': {
      get: {
        summary: "The user's live sessions, most recent activity first (scope manage)",
        parameters: [userIdParam],
        responses: {
          '200': {
            description: 'The sessions.',
            content: json({
              type: 'object',
              required: ['sessions'],
              properties: { sessions: { type: 'array', items: ref('Session') } },
              additionalProperties: false,
            }),
          },
          ...errors,
        },
      },
      delete: {
        summary: 'Revoke every session of the user (scope manage)',
        parameters: [userIdParam],
        responses: {
          '200': {
            description: 'How many were revoked.',
            content: json({
              type: 'object',
              required: ['revoked'],
              properties: { revoked: { type: 'integer', minimum: 0 } },
              additionalProperties: false,
            }),
          },
          ...errors,
        },
      },
    },
    '/v1/events': {
      get: {
        summary: 'Recent session events, newest first (scope admin)',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'detections', in: 'query', schema: { type: 'boolean' } },
          { name: 'userId', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'The events (no tokens, no session data).',
            content: json({
              type: 'object',
              required: ['events'],
              properties: { events: { type: 'array', items: ref('Event') } },
              additionalProperties: false,
            }),
          },
          ...errors,
        },
      },
    },
    '/v1/detections': {
      get: {
        summary: 'Detections raised by the rules, newest first (scope admin)',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          {
            name: 'open',
            in: 'query',
            schema: { type: 'boolean' },
            description: 'Only those not acknowledged.',
          },
          { name: 'userId', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'The detections (no tokens).',
            content: json({
              type: 'object',
              required: ['detections'],
              properties: { detections: { type: 'array', items: ref('Detection') } },
              additionalProperties: false,
            }),
          },
          ...errors,
        },
      },
    },
    '/v1/audit': {
      get: {
        summary: "The hash-chained audit trail, with the chain's verification (scope admin)",
        parameters: [
          { name: 'fromSeq', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        ],
        responses: {
          '200': {
            description: 'Entries in sequence order and whether the whole chain verifies.',
            content: json({
              type: 'object',
              required: ['chain', 'entries'],
              properties: {
                chain: {
                  type: 'object',
                  required: ['ok', 'entries'],
                  properties: {
                    ok: { type: 'boolean' },
                    entries: { type: 'integer' },
                    head: { type: ['object', 'null'] },
                    brokenAt: { type: 'integer' },
                    reason: { type: 'string' },
                    message: { type: 'string' },
                  },
                  additionalProperties: false,
                },
                entries: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['seq', 'at', 'kind', 'data', 'prevHash', 'hash'],
                    properties: {
                      seq: { type: 'integer', minimum: 1 },
                      at: iso,
                      kind: { type: 'string' },
                      data: { type: 'object' },
                      prevHash: { type: 'string' },
                      hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
                    },
                    additionalProperties: false,
                  },
                },
              },
              additionalProperties: false,
            }),
          },
          ...errors,
        },
      },
    },
    '/v1/auth': {
      get: {
        summary:
          'For reverse proxies (nginx auth_request): checks the forwarded Cookie header (scope validate)',
        parameters: [
          {
            name: 'cookie',
            in: 'header',
            schema: { type: 'string' },
            description: "The end user's Cookie header, forwarded.",
          },
          { name: 'x-real-ip', in: 'header', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description:
              'A signed-in session. Headers X-Tessera-User (URI-encoded), X-Tessera-Session, X-Tessera-Auth-Level; Set-Cookie when the token was renewed.',
          },
          '401': {
            description:
              'No signed-in session (empty body) — including a device-bound (DBSC) session whose forwarded Cookie header lacks a genuine, unexpired bound cookie, which is then treated as stolen and revoked — or a bad API key (problem document).',
          },
          '403': errors['403'],
          '429': errors['429'],
        },
      },
    },
  },
} as const;
