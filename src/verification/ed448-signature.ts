import { verify, type KeyObject } from 'node:crypto';
import { base64url, type JWTHeaderParameters } from 'jose';
import { Rejections } from './rejections';

/**
 * The signature check of an `EdDSA` token against an Ed448 credential (RFC 8037), which Kong JWT
 * verifies and jose does not implement (its EdDSA is Ed25519 only). Only this step leaves jose:
 * the token was parsed and its `alg` matched to the credential before, claims are checked after.
 * The same refusals as jose's apply: the `alg` must be EdDSA and the key Ed448, and a `crit`
 * header (no extension is understood here) fails the token.
 */
export function verifyEd448Signature(
  token: string,
  header: JWTHeaderParameters,
  key: KeyObject,
): void {
  if (header.alg !== 'EdDSA' || key.asymmetricKeyType !== 'ed448')
    throw Rejections.invalid('Invalid algorithm');
  if (header.crit !== undefined)
    throw Rejections.invalid('the crit header parameter is not supported');
  const parts = token.split('.');
  if (parts.length !== 3) throw Rejections.invalid('Invalid signature');
  const signingInput = Buffer.from(`${parts[0]}.${parts[1]}`);
  let valid = false;
  try {
    valid = verify(null, signingInput, key, base64url.decode(parts[2]!));
  } catch {
    // A signature that does not decode, or is not 114 bytes: not valid either.
  }
  if (!valid) throw Rejections.invalid('Invalid signature');
}
