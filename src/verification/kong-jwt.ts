import { KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import type { ConsumerService, HeldCredential } from '../consumers/consumer.service';
import { isHmac } from '../config/algorithms';
import type { StsError } from '../common/errors';
import type { Claims } from './claim-checks';
import type { CredentialsSettings } from '../config/profile-parameters';
import { verifyEd448Signature } from './ed448-signature';
import { joseRejection, type VerifiedJws } from './jws-verification';
import { parseKongJwt } from './kong-jwt-parser';
import { Rejections } from './rejections';
import { checkStrictJws } from './strict-jws';

export interface CredentialVerification extends VerifiedJws {
  credential: HeldCredential;
}

const numeric = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

function keyMaterial(
  credential: HeldCredential,
  settings: CredentialsSettings,
): CryptoKey | KeyObject | Uint8Array | undefined {
  if (!isHmac(credential.algorithm)) return credential.publicKey ?? undefined;
  if (!credential.secret) return undefined;
  const secret = settings.secret_is_base64
    ? Buffer.from(credential.secret, 'base64')
    : Buffer.from(credential.secret, 'utf8');
  return secret.length > 0 ? new Uint8Array(secret) : undefined;
}

/** One of Kong's claim errors (`{"exp": "token expired"}`) and the rejection it makes. */
interface ClaimError {
  claim: string;
  text: string;
  reject: (description: string) => StsError;
}

/**
 * Kong answers claim errors as an object, one Kong text per failing claim; here they are one
 * `error_description`, in `claims_to_verify` order, joined with "; ". A text about the token
 * (`token expired`) stands as it is, one about the claim's value names the claim
 * (`'exp' claim must be a number`). The first failure decides the code.
 */
function claimErrors(errors: readonly ClaimError[]): StsError {
  const description = errors
    .map(({ claim, text }) => (text.startsWith('token ') ? text : `'${claim}' claim ${text}`))
    .join('; ');
  return errors[0]!.reject(description);
}

/** Kong JWT's `claims_to_verify` (every failing claim) and `maximum_expiration`, in its texts. */
export function checkRegisteredClaims(
  claims: Claims,
  settings: CredentialsSettings,
  now: number,
  leeway: number,
): void {
  const errors: ClaimError[] = [];
  for (const claim of settings.claims_to_verify) {
    const value = claims[claim];
    if (!numeric(value))
      errors.push({ claim, text: 'must be a number', reject: Rejections.invalid });
    else if (claim === 'exp' && value + leeway <= now)
      errors.push({ claim, text: 'token expired', reject: Rejections.expired });
    else if (claim === 'nbf' && value - leeway > now)
      errors.push({ claim, text: 'token not valid yet', reject: Rejections.notYetValid });
  }
  if (errors.length > 0) throw claimErrors(errors);
  if (settings.maximum_expiration > 0) {
    const exp = claims.exp;
    if (!numeric(exp) || exp - now > settings.maximum_expiration)
      throw claimErrors([
        { claim: 'exp', text: 'exceeds maximum allowed expiration', reject: Rejections.invalid },
      ]);
  }
}

/**
 * Kong JWT (consumer credentials): the credential is found by `key_claim_name` (payload, then
 * header), the token's `alg` must be the credential's algorithm, and the signature is checked
 * with its secret or public key. Failures carry Kong's exact messages. The time claims are the
 * caller's to check next (checkRegisteredClaims), on a cached signature too.
 */
export async function verifyWithCredential(
  token: string,
  settings: CredentialsSettings,
  consumers: ConsumerService,
): Promise<CredentialVerification> {
  const { header, claims } = parseKongJwt(token);
  checkStrictJws(token);
  // RFC 7797 unencoded payloads, unknown to Kong: the claims read above are not what was signed.
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
  if (key instanceof KeyObject) verifyEd448Signature(token, header, key);
  else
    await compactVerify(token, key, { algorithms: [credential.algorithm] }).catch((err) => {
      throw joseRejection(err);
    });
  return { header, claims, credential };
}
