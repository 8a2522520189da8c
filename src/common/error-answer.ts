import {
  ERROR_CATALOGUE,
  GENERIC_DESCRIPTION,
  type CatalogueEntry,
  type ErrorBody,
  type StsError,
} from './errors';
import { basicChallenge, bearerChallenge } from './www-authenticate';

/** Where a challenge names no realm of its own. */
export const DEFAULT_REALM = 'sts';

/** An error as the HTTP answer the catalogue says it is. */
export interface ErrorAnswer {
  status: number;
  /** Lower-case names: `www-authenticate`, `retry-after`, `allow`. */
  headers: Record<string, string>;
  body: ErrorBody;
}

export const catalogueEntry = (err: StsError): CatalogueEntry => ERROR_CATALOGUE[err.code];

function challengeOf(err: StsError, entry: CatalogueEntry): string | undefined {
  const realm = err.facts.realm ?? DEFAULT_REALM;
  if (entry.challenge === 'Basic')
    return err.facts.unchallenged ? undefined : basicChallenge(realm);
  if (entry.challenge !== 'Bearer') return undefined;
  if (err.facts.credentialsMissing) return bearerChallenge(realm);
  return bearerChallenge(realm, entry.error, entry.describe ? err.description : undefined);
}

export function errorAnswer(err: StsError): ErrorAnswer {
  const entry = catalogueEntry(err);
  const headers: Record<string, string> = {};
  const challenge = challengeOf(err, entry);
  if (challenge) headers['www-authenticate'] = challenge;
  if (err.facts.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(err.facts.retryAfterSeconds)));
  if (err.facts.allow) headers.allow = err.facts.allow.join(', ');
  return {
    status: entry.status,
    headers,
    body: {
      error: entry.error,
      error_description: entry.expose ? err.description : GENERIC_DESCRIPTION,
      code: err.code,
    },
  };
}
