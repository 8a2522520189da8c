/**
 * The one error model of the service. Every failure a client can see is an StsError with a stable
 * `code` (asserted by tests), an HTTP status, the OAuth `error` value where OAuth applies and a
 * description that is safe to show. Anything else reaching the filter becomes a generic 500.
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
  | 'unauthorized'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'bad_gateway'
  | 'too_many_requests'
  | 'server_error';

export interface StsErrorOptions {
  status: number;
  error: OAuthErrorValue;
  description: string;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class StsError extends Error {
  readonly status: number;
  readonly error: OAuthErrorValue;
  readonly description: string;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: string,
    options: StsErrorOptions,
  ) {
    super(options.description, { cause: options.cause });
    this.name = 'StsError';
    this.status = options.status;
    this.error = options.error;
    this.description = options.description;
    this.headers = options.headers ?? {};
  }
}

/** The JSON body every error answer carries. */
export interface ErrorBody {
  error: OAuthErrorValue;
  error_description: string;
  code: string;
}

export const Errors = {
  invalidRequest: (description: string, cause?: unknown) =>
    new StsError('ERR_INVALID_REQUEST', {
      status: 400,
      error: 'invalid_request',
      description,
      cause,
    }),
  notFound: (what: string) =>
    new StsError('ERR_NOT_FOUND', {
      status: 404,
      error: 'not_found',
      description: `${what} not found`,
    }),
  conflict: (description: string) =>
    new StsError('ERR_CONFLICT', { status: 409, error: 'conflict', description }),
  payloadTooLarge: (limit: number) =>
    new StsError('ERR_PAYLOAD_TOO_LARGE', {
      status: 413,
      error: 'payload_too_large',
      description: `request body exceeds ${limit} bytes`,
    }),
  unsupportedMediaType: () =>
    new StsError('ERR_UNSUPPORTED_MEDIA_TYPE', {
      status: 415,
      error: 'unsupported_media_type',
      description: 'content type not supported here; send application/json',
    }),
  badGateway: (description: string, cause?: unknown) =>
    new StsError('ERR_BAD_GATEWAY', { status: 502, error: 'bad_gateway', description, cause }),
  /**
   * RFC 6750 §3: without credentials the challenge names only the realm; with a wrong token it
   * also says `invalid_token`.
   */
  unauthorized: (realm: string, tokenPresented: boolean) =>
    new StsError('ERR_UNAUTHORIZED', {
      status: 401,
      error: 'invalid_token',
      description: tokenPresented ? 'the bearer token is not valid' : 'a bearer token is required',
      headers: {
        'www-authenticate': tokenPresented
          ? `Bearer realm="${realm}", error="invalid_token"`
          : `Bearer realm="${realm}"`,
      },
    }),
  rateLimited: (retryAfterSeconds: number) =>
    new StsError('ERR_RATE_LIMITED', {
      status: 429,
      error: 'too_many_requests',
      description: 'too many requests from this client; retry later',
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    }),
  internal: () =>
    new StsError('ERR_INTERNAL', {
      status: 500,
      error: 'server_error',
      description: 'internal error',
    }),
};
