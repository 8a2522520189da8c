import { createPublicKey } from 'node:crypto';
import type { ConfigProblem } from '../common/validation';
import { isHmac, type SigningAlgorithm } from './algorithms';

/** Kong JWT's default credential algorithm. */
export const DEFAULT_CREDENTIAL_ALGORITHM: SigningAlgorithm = 'HS256';

export interface CredentialShape {
  key: string;
  algorithm?: SigningAlgorithm;
  secret?: string | null;
  rsa_public_key?: string | null;
}

export interface ConsumerShape {
  id?: string;
  username?: string;
  custom_id?: string;
  jwt_secrets?: readonly CredentialShape[];
}

const EC_CURVES: Record<string, string> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

/**
 * Why a credential cannot verify anything, or undefined when it can: HMAC credentials need a
 * secret, the others a PEM public key of the algorithm's type (Kong JWT's `rsa_public_key` holds
 * EC and Ed25519 keys too).
 */
export function credentialProblem(credential: CredentialShape): string | undefined {
  const algorithm = credential.algorithm ?? DEFAULT_CREDENTIAL_ALGORITHM;
  if (isHmac(algorithm)) {
    return credential.secret ? undefined : `a ${algorithm} credential needs a secret`;
  }
  if (!credential.rsa_public_key)
    return `a ${algorithm} credential needs rsa_public_key (a PEM public key)`;
  let type: string | undefined;
  let curve: string | undefined;
  try {
    const key = createPublicKey(credential.rsa_public_key);
    type = key.asymmetricKeyType;
    curve = key.asymmetricKeyDetails?.namedCurve;
  } catch {
    return 'rsa_public_key is not a PEM public key';
  }
  const fits =
    algorithm === 'EdDSA'
      ? type === 'ed25519'
      : algorithm.startsWith('ES')
        ? type === 'ec' && curve === EC_CURVES[algorithm]
        : type === 'rsa' || (algorithm.startsWith('PS') && type === 'rsa-pss');
  return fits
    ? undefined
    : `rsa_public_key is a ${type ?? 'unknown'} key, not one for ${algorithm}`;
}

/** File consumers: unique ids, usernames, custom ids and credential keys; usable credentials. */
export function checkConsumers(consumers: readonly ConsumerShape[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen: Record<'id' | 'username' | 'custom_id', Set<string>> = {
    id: new Set(),
    username: new Set(),
    custom_id: new Set(),
  };
  const keys = new Set<string>();
  consumers.forEach((consumer, index) => {
    const at = `consumers[${index}]`;
    for (const field of ['id', 'username', 'custom_id'] as const) {
      const value = consumer[field];
      if (value === undefined) continue;
      if (seen[field].has(value))
        problems.push({ path: `${at}.${field}`, message: `duplicate ${field} "${value}"` });
      seen[field].add(value);
    }
    (consumer.jwt_secrets ?? []).forEach((credential, position) => {
      const path = `${at}.jwt_secrets[${position}]`;
      if (keys.has(credential.key))
        problems.push({
          path: `${path}.key`,
          message: `duplicate credential key "${credential.key}"`,
        });
      keys.add(credential.key);
      const problem = credentialProblem(credential);
      if (problem) problems.push({ path, message: problem });
    });
  });
  return problems;
}
