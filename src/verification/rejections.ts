import { StsError, type ErrorCode } from '../common/errors';

/**
 * Why a request's token was refused. The codes are the token endpoints' rows of the catalogue;
 * the realm is added by the verification service, which knows the profile and the request.
 */
export const Rejections = {
  /** No token where one is required (RFC 6750 §3.1: the challenge has no `error`). */
  missing: (what: string) =>
    new StsError('ERR_TOKEN_MISSING', `no ${what} in the request`, { credentialsMissing: true }),
  invalid: (description: string) => new StsError('ERR_TOKEN_INVALID', description),
  /** Anti-smuggling: two different tokens for one slot (Kong JWT's message). */
  multiple: () => new StsError('ERR_TOKEN_MULTIPLE', 'Multiple tokens provided'),
  tooLarge: (limit: number) =>
    new StsError('ERR_TOKEN_TOO_LARGE', `token larger than ${limit} bytes`),
  expired: (description = 'token expired') => new StsError('ERR_TOKEN_EXPIRED', description),
  notYetValid: (description = 'token not valid yet') =>
    new StsError('ERR_TOKEN_NOT_YET_VALID', description),
  insufficientScope: (description: string) => new StsError('ERR_INSUFFICIENT_SCOPE', description),
  claimMissing: (description: string) => new StsError('ERR_CLAIM_MISSING', description),
  consumerNotFound: (description: string) => new StsError('ERR_CONSUMER_NOT_FOUND', description),
  /** The IdP or introspection endpoint is down and nothing valid is cached. */
  idpUnavailable: (description: string, retryAfterSeconds: number) =>
    new StsError('ERR_IDP_UNAVAILABLE', description, { retryAfterSeconds }),
};

const REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_TOKEN_MISSING',
  'ERR_TOKEN_INVALID',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_NOT_YET_VALID',
  'ERR_TOKEN_MULTIPLE',
  'ERR_TOKEN_TOO_LARGE',
  'ERR_INSUFFICIENT_SCOPE',
  'ERR_CLAIM_MISSING',
  'ERR_CONSUMER_NOT_FOUND',
]);

/** The token itself was refused (missing, invalid or not enough), not the IdP unreachable. */
export const isRefusal = (err: unknown): err is StsError =>
  err instanceof StsError && REFUSALS.has(err.code);

/** Any outcome of checking a token: a refusal, or an IdP that could not be asked. */
export const isRejection = (err: unknown): err is StsError =>
  isRefusal(err) || (err instanceof StsError && err.code === 'ERR_IDP_UNAVAILABLE');
