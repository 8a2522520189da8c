import { CompactSign, FlattenedSign } from 'jose';
import type { SigningKey } from '../keys/signing-key';

const encoder = new TextEncoder();

export interface JwsHeaderExtras {
  typ?: string;
  x5c?: string[];
}

function header(key: SigningKey, extras: JwsHeaderExtras) {
  return {
    alg: key.alg,
    kid: key.kid,
    typ: extras.typ ?? 'JWT',
    ...(extras.x5c ? { x5c: extras.x5c } : {}),
  };
}

/** Compact JWS over the JSON of `payload`: `alg` and `kid` always come from our key, never input. */
export function signCompact(
  payload: object,
  key: SigningKey,
  extras: JwsHeaderExtras = {},
): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader(header(key, extras))
    .sign(key.key);
}

/** Flattened JWS JSON serialization (RFC 7515 §7.2.2), as a JSON string like KrakenD's `full`. */
export async function signFlattened(
  payload: object,
  key: SigningKey,
  extras: JwsHeaderExtras = {},
): Promise<string> {
  const jws = await new FlattenedSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader(header(key, extras))
    .sign(key.key);
  return JSON.stringify(jws);
}
