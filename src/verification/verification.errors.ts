import { StsError } from '../common/errors';

/**
 * Why a request's token was refused, before it is turned into an HTTP answer: the realm (and for
 * /authz the status mapping) belong to the endpoint, not to the check that failed.
 *
 * - `missing`: no token where one is required (401, challenge without `error`, RFC 6750 §3.1)
 * - `invalid`: bad, expired, unknown-key, not-ours token (401 `invalid_token`)
 * - `forbidden`: a valid token lacking scopes, claims or a consumer (403 `insufficient_scope`)
 * - `unavailable`: the IdP or introspection endpoint is down and nothing valid is cached (503)
 */
export type RejectionKind = 'missing' | 'invalid' | 'forbidden' | 'unavailable';

export class TokenRejected extends Error {
  constructor(
    readonly code: string,
    readonly kind: RejectionKind,
    readonly description: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
    this.name = 'TokenRejected';
  }
}

/** The stable codes of the token endpoints (README, "Errors"). */
export const Rejections = {
  missing: (what: string) =>
    new TokenRejected('ERR_TOKEN_MISSING', 'missing', `no ${what} in the request`),
  invalid: (description: string) => new TokenRejected('ERR_TOKEN_INVALID', 'invalid', description),
  /** Anti-smuggling: two different tokens for one slot (Kong JWT's message). */
  multiple: () => new TokenRejected('ERR_TOKEN_MULTIPLE', 'invalid', 'Multiple tokens provided'),
  tooLarge: (limit: number) =>
    new TokenRejected('ERR_TOKEN_TOO_LARGE', 'invalid', `token larger than ${limit} bytes`),
  expired: (description = 'token expired') =>
    new TokenRejected('ERR_TOKEN_EXPIRED', 'invalid', description),
  notYetValid: (description = 'token not valid yet') =>
    new TokenRejected('ERR_TOKEN_NOT_YET_VALID', 'invalid', description),
  insufficientScope: (description: string) =>
    new TokenRejected('ERR_INSUFFICIENT_SCOPE', 'forbidden', description),
  claimMissing: (description: string) =>
    new TokenRejected('ERR_CLAIM_MISSING', 'forbidden', description),
  consumerNotFound: (description: string) =>
    new TokenRejected('ERR_CONSUMER_NOT_FOUND', 'forbidden', description),
  idpUnavailable: (description: string, retryAfterSeconds: number) =>
    new TokenRejected('ERR_IDP_UNAVAILABLE', 'unavailable', description, retryAfterSeconds),
};

/**
 * RFC 6750 §3 allows only %x20-21 / %x23-5B / %x5D-7E inside the quoted values; anything else
 * (quotes, backslashes, control or non-ASCII characters, e.g. from a Host header) is replaced.
 */
const quoted = (value: string): string =>
  `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;

/** `Bearer realm="…"[, error="…", error_description="…"]`. */
export function bearerChallenge(realm: string, error?: string, description?: string): string {
  const parts = [`realm=${quoted(realm)}`];
  if (error) parts.push(`error=${quoted(error)}`);
  if (error && description) parts.push(`error_description=${quoted(description)}`);
  return `Bearer ${parts.join(', ')}`;
}

/** The contract's 401/403/503 answer of /verify and /exchange for a rejection. */
export function rejectionToStsError(rejection: TokenRejected, realm: string): StsError {
  const { code, description } = rejection;
  switch (rejection.kind) {
    case 'missing':
      return new StsError(code, {
        status: 401,
        error: 'invalid_token',
        description,
        headers: { 'www-authenticate': bearerChallenge(realm) },
      });
    case 'invalid':
      return new StsError(code, {
        status: 401,
        error: 'invalid_token',
        description,
        headers: { 'www-authenticate': bearerChallenge(realm, 'invalid_token', description) },
      });
    case 'forbidden':
      return new StsError(code, {
        status: 403,
        error: 'insufficient_scope',
        description,
        headers: {
          'www-authenticate': bearerChallenge(realm, 'insufficient_scope', description),
        },
      });
    case 'unavailable':
      return new StsError(code, {
        status: 503,
        error: 'temporarily_unavailable',
        description,
        headers: { 'retry-after': String(rejection.retryAfterSeconds ?? 5) },
      });
  }
}
