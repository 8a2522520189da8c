import { compactVerify } from 'jose';
import type { ConsumerService, HeldCredential } from '../consumers/consumer.service';
import { isHmac } from '../config/algorithms';
import type { Claims } from './claim-checks';
import { decodeJws, joseRejection, type VerifiedJws } from './jws-verification';
import type { CredentialsSettings } from '../config/profile-parameters';
import { Rejections } from './rejections';

export interface CredentialVerification extends VerifiedJws {
  credential: HeldCredential;
}

const numeric = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

function keyMaterial(
  credential: HeldCredential,
  settings: CredentialsSettings,
): CryptoKey | Uint8Array | undefined {
  if (!isHmac(credential.algorithm)) return credential.publicKey ?? undefined;
  if (!credential.secret) return undefined;
  const secret = settings.secret_is_base64
    ? Buffer.from(credential.secret, 'base64')
    : Buffer.from(credential.secret, 'utf8');
  return secret.length > 0 ? new Uint8Array(secret) : undefined;
}

/** Kong JWT's `claims_to_verify` and `maximum_expiration`, with its messages. */
function checkRegisteredClaims(
  claims: Claims,
  settings: CredentialsSettings,
  now: number,
  leeway: number,
): void {
  for (const name of settings.claims_to_verify) {
    const value = claims[name];
    if (!numeric(value)) throw Rejections.invalid(`'${name}' claim must be a number`);
    if (name === 'exp' && value + leeway <= now) throw Rejections.expired();
    if (name === 'nbf' && value - leeway > now) throw Rejections.notYetValid();
  }
  if (settings.maximum_expiration > 0) {
    const exp = claims.exp;
    if (!numeric(exp) || exp - now > settings.maximum_expiration)
      throw Rejections.invalid('The maximum allowed expiration is exceeded');
  }
}

/**
 * Kong JWT (consumer credentials): the credential is found by `key_claim_name` (payload, then
 * header), the token's `alg` must be the credential's algorithm, and the signature is checked
 * with its secret or public key. Failures carry Kong's exact messages.
 */
export async function verifyWithCredential(
  token: string,
  settings: CredentialsSettings,
  consumers: ConsumerService,
  now: number,
  leeway: number,
): Promise<CredentialVerification> {
  const { header, claims } = decodeJws(token, 'Bad token; invalid JWT');
  if (header.b64 === false) throw Rejections.invalid('Bad token; invalid JWT');
  const claimName = settings.key_claim_name;
  const keyValue = claims[claimName] ?? (header as Record<string, unknown>)[claimName] ?? undefined;
  if (keyValue === undefined || keyValue === null)
    throw Rejections.invalid(`No mandatory '${claimName}' in claims`);
  if (typeof keyValue !== 'string' || keyValue === '')
    throw Rejections.invalid(`Invalid '${claimName}' in claims`);
  const credential = consumers.credential(keyValue);
  if (!credential) throw Rejections.invalid(`No credentials found for given '${claimName}'`);
  if (header.alg !== credential.algorithm) throw Rejections.invalid('Invalid algorithm');
  const key = keyMaterial(credential, settings);
  if (!key) throw Rejections.invalid('Invalid key/secret');
  try {
    await compactVerify(token, key, { algorithms: [credential.algorithm] });
  } catch (err) {
    throw joseRejection(err);
  }
  checkRegisteredClaims(claims, settings, now, leeway);
  return { header, claims, credential };
}
