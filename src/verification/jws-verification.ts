import {
  compactVerify,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  type JWTHeaderParameters,
  type JWSHeaderParameters,
} from 'jose';
import type { Claims } from './claim-checks';
import { StsError } from '../common/errors';
import { Rejections } from './rejections';

/** A public key (or HMAC secret) a token may be verified with. */
export type VerificationKey = CryptoKey | Uint8Array;

export interface VerifiedJws {
  header: JWTHeaderParameters;
  claims: Claims;
}

/** `kid` is only a lookup key among keys we hold (RFC 8725 §3.10): bounded, never fetched. */
const MAX_KID_LENGTH = 1024;

const decoder = new TextDecoder();

/** A JOSE failure as a 401 description (jose's messages name the problem, never key material). */
export function joseRejection(err: unknown, signatureMessage = 'Invalid signature'): StsError {
  if (err instanceof StsError) return err;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return Rejections.invalid(signatureMessage);
  if (err instanceof joseErrors.JOSEAlgNotAllowed)
    return Rejections.invalid('the token "alg" is not allowed');
  if (err instanceof joseErrors.JOSEError) return Rejections.invalid(err.message);
  return Rejections.invalid('token could not be verified');
}

function parsePayload(payload: Uint8Array): Claims {
  let claims: unknown;
  try {
    claims = JSON.parse(decoder.decode(payload));
  } catch {
    throw Rejections.invalid('the token payload is not JSON');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    throw Rejections.invalid('the token payload is not a JSON object');
  return claims as Claims;
}

/**
 * Verifies a compact JWS with jose. jose checks `alg` against the allow-list and rejects unknown
 * `crit` names before asking for a key, so neither `none` nor an HMAC-with-public-key token ever
 * reaches a key lookup; `jku`, `x5u`, `jwk` and `x5c` headers are never used. When several keys
 * fit (no `kid`), each is tried.
 */
export async function verifyJws(
  token: string,
  algorithms: readonly string[],
  keysFor: (header: JWSHeaderParameters) => Promise<VerificationKey[]>,
): Promise<VerifiedJws> {
  let candidates: VerificationKey[] = [];
  const options = { algorithms: [...algorithms] };
  let verified: Awaited<ReturnType<typeof compactVerify>> | undefined;
  try {
    verified = await compactVerify(
      token,
      async (header: JWSHeaderParameters) => {
        if (
          header.kid !== undefined &&
          (typeof header.kid !== 'string' || header.kid.length > MAX_KID_LENGTH)
        )
          throw Rejections.invalid('the token "kid" is not a usable key id');
        candidates = await keysFor(header);
        return candidates[0]!;
      },
      options,
    );
  } catch (err) {
    if (!(err instanceof joseErrors.JWSSignatureVerificationFailed) || candidates.length < 2)
      throw joseRejection(err);
    for (const key of candidates.slice(1)) {
      verified = await compactVerify(token, key, options).catch(() => undefined);
      if (verified) break;
    }
    if (!verified) throw joseRejection(err);
  }
  // RFC 7797 unencoded payloads are not JWTs.
  if (verified.protectedHeader.b64 === false)
    throw Rejections.invalid('unencoded JWS payloads are not accepted');
  return {
    header: verified.protectedHeader,
    claims: parsePayload(verified.payload),
  };
}

/** Header and payload without a signature check (`verify_*_signature: false`). */
export function decodeJws(token: string): VerifiedJws {
  try {
    return {
      header: decodeProtectedHeader(token) as JWTHeaderParameters,
      claims: decodeJwt(token),
    };
  } catch {
    throw Rejections.invalid('the token is not a well-formed JWT');
  }
}

/** Kong's classification: three dot-separated parts with a decodable header is a JWS. */
export function looksLikeJws(token: string): boolean {
  if (token.split('.').length !== 3) return false;
  try {
    decodeProtectedHeader(token);
    return true;
  } catch {
    return false;
  }
}
