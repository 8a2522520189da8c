import { StsError, type OAuthErrorValue } from '../common/errors';

const CODES: Partial<Record<OAuthErrorValue, string>> = {
  invalid_request: 'ERR_INVALID_REQUEST',
  invalid_grant: 'ERR_INVALID_GRANT',
  unauthorized_client: 'ERR_UNAUTHORIZED_CLIENT',
  unsupported_grant_type: 'ERR_UNSUPPORTED_GRANT_TYPE',
  invalid_scope: 'ERR_INVALID_SCOPE',
  invalid_target: 'ERR_INVALID_TARGET',
};

/** RFC 6749 §5.2 errors of the token endpoint: 400 with the OAuth `error` value. */
export const oauthError = (error: keyof typeof CODES, description: string): StsError =>
  new StsError(CODES[error]!, { status: 400, error, description });
