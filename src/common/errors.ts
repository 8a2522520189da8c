import type { StoreFailure } from './store-failure';

/**
 * The one error model of the service. Domain code throws an StsError: a stable `code` (asserted by
 * tests), a description, and the facts an answer needs (realm, retry-after). It never carries an
 * HTTP status or header: the catalogue below says what each code becomes at the edge, and each
 * adapter (the global filter, forward-auth, the OAuth endpoints) maps it once from there.
 */
export type OAuthErrorValue =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'temporarily_unavailable'
  | 'not_found'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'conflict'
  | 'payload_too_large'
  | 'request_header_fields_too_large'
  | 'request_timeout'
  | 'unsupported_media_type'
  | 'bad_gateway'
  | 'too_many_requests'
  | 'server_error';

export interface CatalogueEntry {
  readonly status: number;
  /** The `error` member of the body (the OAuth error value where OAuth applies). */
  readonly error: OAuthErrorValue;
  /** false: the description names internals; the client gets a generic one, the log the real one. */
  readonly expose: boolean;
  /**
   * The `WWW-Authenticate` scheme of the answer. A Bearer challenge carries `error` (unless no
   * credentials came, RFC 6750 §3.1) and, where `describe` is set, the description.
   */
  readonly challenge?: 'Bearer' | 'Basic';
  readonly describe?: boolean;
}

const TOKEN_REFUSED = {
  status: 401,
  error: 'invalid_token',
  expose: true,
  challenge: 'Bearer',
  describe: true,
} as const;
const TOKEN_FORBIDDEN = {
  status: 403,
  error: 'insufficient_scope',
  expose: true,
  challenge: 'Bearer',
  describe: true,
} as const;

/** Every code a client can see. The error tables of docs/errors.md list exactly these (a test checks). */
export const ERROR_CATALOGUE = {
  ERR_INVALID_REQUEST: { status: 400, error: 'invalid_request', expose: true },
  ERR_INVALID_GRANT: { status: 400, error: 'invalid_grant', expose: true },
  ERR_INVALID_SCOPE: { status: 400, error: 'invalid_scope', expose: true },
  ERR_INVALID_TARGET: { status: 400, error: 'invalid_target', expose: true },
  ERR_UNAUTHORIZED_CLIENT: { status: 400, error: 'unauthorized_client', expose: true },
  ERR_UNSUPPORTED_GRANT_TYPE: { status: 400, error: 'unsupported_grant_type', expose: true },
  ERR_INVALID_CLIENT: { status: 401, error: 'invalid_client', expose: true, challenge: 'Basic' },
  ERR_UNAUTHORIZED: { status: 401, error: 'invalid_token', expose: true, challenge: 'Bearer' },
  ERR_NOT_FOUND: { status: 404, error: 'not_found', expose: true },
  ERR_METHOD_NOT_ALLOWED: { status: 405, error: 'method_not_allowed', expose: true },
  ERR_REQUEST_TIMEOUT: { status: 408, error: 'request_timeout', expose: true },
  ERR_CONFLICT: { status: 409, error: 'conflict', expose: true },
  ERR_PAYLOAD_TOO_LARGE: { status: 413, error: 'payload_too_large', expose: true },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, error: 'unsupported_media_type', expose: true },
  ERR_HEADERS_TOO_LARGE: { status: 431, error: 'request_header_fields_too_large', expose: true },
  ERR_RATE_LIMITED: { status: 429, error: 'too_many_requests', expose: true },
  ERR_INTERNAL: { status: 500, error: 'server_error', expose: false },
  ERR_SIGNING_KEY_UNAVAILABLE: { status: 500, error: 'server_error', expose: false },
  ERR_BAD_GATEWAY: { status: 502, error: 'bad_gateway', expose: true },
  ERR_SIGNER_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable', expose: true },
  ERR_STORE_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable', expose: true },
  // The token endpoints (/verify, /exchange/{profile}, /authz), RFC 6750.
  ERR_TOKEN_MISSING: TOKEN_REFUSED,
  ERR_TOKEN_INVALID: TOKEN_REFUSED,
  ERR_TOKEN_EXPIRED: TOKEN_REFUSED,
  ERR_TOKEN_NOT_YET_VALID: TOKEN_REFUSED,
  ERR_TOKEN_MULTIPLE: TOKEN_REFUSED,
  ERR_TOKEN_TOO_LARGE: TOKEN_REFUSED,
  ERR_INSUFFICIENT_SCOPE: TOKEN_FORBIDDEN,
  ERR_CLAIM_MISSING: TOKEN_FORBIDDEN,
  ERR_CONSUMER_NOT_FOUND: TOKEN_FORBIDDEN,
  ERR_IDP_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable', expose: true },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** What an answer needs to know beyond the code and description. */
export interface ErrorFacts {
  /** The protection space a challenge names (a profile's realm, `sts-admin`, …). */
  readonly realm?: string;
  /** No credentials came with the request: the challenge names only the realm (RFC 6750 §3.1). */
  readonly credentialsMissing?: boolean;
  /** The client did not use HTTP authentication (RFC 6749 §5.2): no challenge is sent. */
  readonly unchallenged?: boolean;
  /** When to try again (`Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** The methods the path does serve (`Allow`, RFC 9110 §10.2.1). */
  readonly allow?: readonly string[];
}

export class StsError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly description: string,
    readonly facts: ErrorFacts = {},
    options: { cause?: unknown } = {},
  ) {
    super(description, options);
    this.name = 'StsError';
  }

  /** The same error with more facts (e.g. the realm, known only to the endpoint's profile). */
  with(facts: ErrorFacts): StsError {
    return new StsError(
      this.code,
      this.description,
      { ...this.facts, ...facts },
      { cause: this.cause },
    );
  }
}

/** The JSON body every error answer carries. */
export interface ErrorBody {
  error: OAuthErrorValue;
  error_description: string;
  code: ErrorCode;
}

/** What the client reads for a code whose description is not exposed. */
export const GENERIC_DESCRIPTION = 'internal error';

export const Errors = {
  invalidRequest: (description: string, cause?: unknown) =>
    new StsError('ERR_INVALID_REQUEST', description, {}, { cause }),
  notFound: (what: string) => new StsError('ERR_NOT_FOUND', `${what} not found`),
  methodNotAllowed: (method: string, allow: readonly string[]) =>
    new StsError(
      'ERR_METHOD_NOT_ALLOWED',
      `${method} is not served here; use ${allow.join(', ')}`,
      {
        allow,
      },
    ),
  conflict: (description: string) => new StsError('ERR_CONFLICT', description),
  payloadTooLarge: (limit: number) =>
    new StsError('ERR_PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`),
  unsupportedMediaType: (expected = 'application/json') =>
    new StsError('ERR_UNSUPPORTED_MEDIA_TYPE', `content type not supported here; send ${expected}`),
  badGateway: (description: string, cause?: unknown) =>
    new StsError('ERR_BAD_GATEWAY', description, {}, { cause }),
  /** A bearer-protected route (admin API, metrics) without the right token. */
  unauthorized: (realm: string, tokenPresented: boolean) =>
    new StsError(
      'ERR_UNAUTHORIZED',
      tokenPresented ? 'the bearer token is not valid' : 'a bearer token is required',
      { realm, credentialsMissing: !tokenPresented },
    ),
  rateLimited: (retryAfterSeconds: number) =>
    new StsError('ERR_RATE_LIMITED', 'too many requests from this client; retry later', {
      retryAfterSeconds,
    }),
  internal: () => new StsError('ERR_INTERNAL', GENERIC_DESCRIPTION),
  /** The database refused: unreachable or restarting, or read-only (the driver's error is the cause). */
  storeUnavailable: (failure: StoreFailure, cause: unknown) =>
    new StsError(
      'ERR_STORE_UNAVAILABLE',
      failure === 'read-only'
        ? 'the database is read-only; changes cannot be saved'
        : 'the database is unavailable; try again shortly',
      { retryAfterSeconds: STORE_RETRY_AFTER_SECONDS },
      { cause },
    ),
};

/** What a store failure tells clients to wait: about a database restart, not an outage. */
const STORE_RETRY_AFTER_SECONDS = 5;
