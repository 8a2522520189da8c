import { StsError } from '../common/errors';

export interface ClientCredentials {
  clientId: string;
  secret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

/** RFC 6749 §5.2: a client that authenticated with the form (not HTTP Basic) gets no challenge. */
export const invalidClient = (
  description = 'client authentication failed',
  basic = true,
): StsError => new StsError('ERR_INVALID_CLIENT', description, { unchallenged: !basic });

const formDecode = (value: string): string => decodeURIComponent(value.replace(/\+/g, ' '));

/**
 * RFC 6749 §2.3.1 client authentication: HTTP Basic with form-urlencoded id and secret, or
 * `client_id`/`client_secret` in the form body; using both is refused.
 */
export function readClientCredentials(
  authorization: string | undefined,
  form: Record<string, unknown>,
): ClientCredentials {
  const formId = typeof form.client_id === 'string' ? form.client_id : undefined;
  const formSecret = typeof form.client_secret === 'string' ? form.client_secret : undefined;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (basic) {
    if (formSecret !== undefined)
      throw invalidClient('use one client authentication method, not two');
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidClient('malformed Basic credentials');
    try {
      return {
        clientId: formDecode(decoded.slice(0, colon)),
        secret: formDecode(decoded.slice(colon + 1)),
        method: 'client_secret_basic',
      };
    } catch {
      throw invalidClient('malformed Basic credentials');
    }
  }
  if (formId !== undefined && formSecret !== undefined) {
    return { clientId: formId, secret: formSecret, method: 'client_secret_post' };
  }
  throw invalidClient('client authentication required (client_secret_basic or client_secret_post)');
}
