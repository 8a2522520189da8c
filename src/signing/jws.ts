import { CompactSign, FlattenedSign, type FlattenedJWS } from 'jose';
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

/** The JSON of a payload; a string is that JSON already (KrakenD's byte-exact form). */
const payloadBytes = (payload: object | string): Uint8Array =>
  encoder.encode(typeof payload === 'string' ? payload : JSON.stringify(payload));

/** Compact JWS over the JSON of `payload`: `alg` and `kid` always come from our key, never input. */
export function signCompact(
  payload: object | string,
  key: SigningKey,
  extras: JwsHeaderExtras = {},
): Promise<string> {
  return new CompactSign(payloadBytes(payload))
    .setProtectedHeader(header(key, extras))
    .sign(key.key);
}

/** A flattened JWS as the JSON string KrakenD's `full` gives: members in its order. */
export const serializeFlattened = (jws: FlattenedJWS): string =>
  JSON.stringify({ payload: jws.payload, protected: jws.protected, signature: jws.signature });

/** Flattened JWS JSON serialization (RFC 7515 §7.2.2), as a JSON string like KrakenD's `full`. */
export async function signFlattened(
  payload: object | string,
  key: SigningKey,
  extras: JwsHeaderExtras = {},
): Promise<string> {
  const jws = await new FlattenedSign(payloadBytes(payload))
    .setProtectedHeader(header(key, extras))
    .sign(key.key);
  return serializeFlattened(jws);
}
