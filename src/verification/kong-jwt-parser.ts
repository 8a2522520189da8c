import { base64url, type JWTHeaderParameters } from 'jose';
import { isSigningAlgorithm } from '../config/algorithms';
import { isObject } from './claim-checks';
import type { VerifiedJws } from './jws-verification';
import { Rejections } from './rejections';

const decoder = new TextDecoder();

const badToken = (problem: 'JSON' | 'alg' | 'signature') =>
  Rejections.invalid(`Bad token; invalid ${problem}`);

/**
 * A header or payload segment as JSON. A segment that is JSON but not an object (where Kong
 * fails with a 500, or reads no claims from it) is refused as `invalid JSON` too: a JWT's header
 * and claims are objects.
 */
function jsonObject(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(base64url.decode(segment)));
  } catch {
    throw badToken('JSON');
  }
  if (!isObject(value)) throw badToken('JSON');
  return value;
}

function isBase64url(segment: string): boolean {
  try {
    base64url.decode(segment);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kong JWT's `jwt_parser` classification, in its order: fewer than three parts, or a header or
 * payload that is not base64url JSON, is `Bad token; invalid JSON`; an `alg` Kong does not know
 * is `Bad token; invalid alg`; a signature that is not base64url (a fourth part included) is
 * `Bad token; invalid signature`. Nothing here is trusted: the signature is checked afterwards,
 * with the credential.
 */
export function parseKongJwt(token: string): VerifiedJws {
  const parts = token.split('.');
  if (parts.length < 3) throw badToken('JSON');
  const header = jsonObject(parts[0]!);
  const claims = jsonObject(parts[1]!);
  if (!isSigningAlgorithm(header.alg)) throw badToken('alg');
  if (parts.length > 3 || !isBase64url(parts[2]!)) throw badToken('signature');
  return { header: header as JWTHeaderParameters, claims };
}
