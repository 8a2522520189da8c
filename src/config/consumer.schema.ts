import { createPublicKey, type AsymmetricKeyDetails } from 'node:crypto';
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

/** RFC 7518 §3.3 and §3.5, which jose enforces at every verification: refused up front instead. */
const MIN_RSA_BITS = 2048;

/** The PEM blocks `rsa_public_key` takes: SPKI, or PKCS#1 (`openssl rsa -RSAPublicKey_out`). */
const PUBLIC_KEY_PEMS: ReadonlySet<string> = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY']);

/**
 * Why a PEM is not exactly one public key, told from its labels before anything parses it: Node
 * derives a public key from a private one, which would then be stored and shown in clear.
 */
function pemProblem(pem: string): string | undefined {
  const labels = Array.from(pem.matchAll(/-----BEGIN ([^-]*)-----/g), (match) => match[1]!.trim());
  if (labels.some((label) => label.endsWith('PRIVATE KEY')))
    return 'rsa_public_key must be a public key, not a private key';
  if (labels.some((label) => label.includes('CERTIFICATE')))
    return 'rsa_public_key must be a public key, not a certificate (`openssl x509 -pubkey -noout` prints its key)';
  if (labels.length !== 1 || !PUBLIC_KEY_PEMS.has(labels[0]!))
    return 'rsa_public_key is not a PEM public key';
  return undefined;
}

/**
 * Why a credential cannot verify anything, or undefined when it can: HMAC credentials need a
 * secret, the others one PEM public key of the algorithm's type (Kong JWT's `rsa_public_key` holds
 * EC, Ed25519 and Ed448 keys too; never a private key or a certificate); RSA keys need at least
 * 2048 bits.
 */
export function credentialProblem(credential: CredentialShape): string | undefined {
  const algorithm = credential.algorithm ?? DEFAULT_CREDENTIAL_ALGORITHM;
  if (isHmac(algorithm)) {
    return credential.secret ? undefined : `a ${algorithm} credential needs a secret`;
  }
  if (!credential.rsa_public_key)
    return `a ${algorithm} credential needs rsa_public_key (a PEM public key)`;
  const pem = pemProblem(credential.rsa_public_key);
  if (pem) return pem;
  let type: string | undefined;
  let details: AsymmetricKeyDetails | undefined;
  try {
    const key = createPublicKey(credential.rsa_public_key);
    type = key.asymmetricKeyType;
    details = key.asymmetricKeyDetails;
  } catch {
    return 'rsa_public_key is not a PEM public key';
  }
  const fits =
    algorithm === 'EdDSA'
      ? type === 'ed25519' || type === 'ed448'
      : algorithm.startsWith('ES')
        ? type === 'ec' && details?.namedCurve === EC_CURVES[algorithm]
        : type === 'rsa';
  // jose takes RSA keys (rsaEncryption) only, for PS algorithms too.
  if (type === 'rsa-pss')
    return 'rsa_public_key is an RSA-PSS (id-RSASSA-PSS) key; give it as a plain RSA public key';
  if (!fits) return `rsa_public_key is a ${type ?? 'unknown'} key, not one for ${algorithm}`;
  const bits = details?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS)
    return `rsa_public_key is a ${bits}-bit RSA key; ${algorithm} needs at least ${MIN_RSA_BITS} bits`;
  return undefined;
}

const CREDENTIAL_TEXTS = ['key', 'algorithm', 'secret', 'rsa_public_key'] as const;

const isCredentialShape = (value: unknown): value is CredentialShape =>
  typeof value === 'object' &&
  value !== null &&
  CREDENTIAL_TEXTS.every((field) => {
    const text = (value as Record<string, unknown>)[field];
    return text === undefined || text === null || typeof text === 'string';
  });

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
    // A list or credential of the wrong shape is the schema's to report; here it is skipped.
    const credentials: unknown[] = Array.isArray(consumer.jwt_secrets) ? consumer.jwt_secrets : [];
    credentials.forEach((credential, position) => {
      if (!isCredentialShape(credential)) return;
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
