import { constants, createHmac, KeyObject, sign, type SignKeyObjectInput } from 'node:crypto';
import type { FlattenedJWS } from 'jose';
import type { SigningKey } from '../keys/signing-key';

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

const b64url = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');

/** The JSON of a payload; a string is that JSON already (KrakenD's byte-exact form). */
const payloadJson = (payload: object | string): string =>
  typeof payload === 'string' ? payload : JSON.stringify(payload);

/** Each CryptoKey as node:crypto's own key object, checked and converted once. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/** What jose requires of a CryptoKey that signs with `alg`, with jose's messages. */
function checkKeyFor(alg: string, key: CryptoKey): void {
  const algorithm = key.algorithm as Partial<RsaHashedKeyAlgorithm & EcKeyAlgorithm>;
  const bits = alg.slice(2);
  const expected: { name: string; hash?: string; namedCurve?: string } = alg.startsWith('RS')
    ? { name: 'RSASSA-PKCS1-v1_5', hash: `SHA-${bits}` }
    : alg.startsWith('PS')
      ? { name: 'RSA-PSS', hash: `SHA-${bits}` }
      : alg.startsWith('ES')
        ? { name: 'ECDSA', namedCurve: bits === '512' ? 'P-521' : `P-${bits}` }
        : { name: 'Ed25519' };
  const unusable = (value: string, prop = 'algorithm.name') =>
    new TypeError(`CryptoKey does not support this operation, its ${prop} must be ${value}`);
  if (algorithm.name !== expected.name) throw unusable(expected.name);
  if (expected.hash && algorithm.hash?.name !== expected.hash)
    throw unusable(expected.hash, 'algorithm.hash');
  if (expected.namedCurve && algorithm.namedCurve !== expected.namedCurve)
    throw unusable(expected.namedCurve, 'algorithm.namedCurve');
  if (!key.usages.includes('sign'))
    throw new TypeError('CryptoKey does not support this operation, its usages must include sign.');
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    const { modulusLength } = algorithm;
    if (typeof modulusLength !== 'number' || modulusLength < 2048)
      throw new TypeError(`${alg} requires key modulusLength to be 2048 bits or larger`);
  }
}

function keyObjectOf(key: SigningKey): KeyObject {
  const cryptoKey = key.key as CryptoKey;
  let object = keyObjects.get(cryptoKey);
  if (!object) {
    checkKeyFor(key.alg, cryptoKey);
    object = KeyObject.from(cryptoKey);
    keyObjects.set(cryptoKey, object);
  }
  return object;
}

/** node:crypto's digest and options for a JWS `alg` (RFC 7518 §3). */
function signatureParameters(key: SigningKey): {
  digest: string | null;
  input: SignKeyObjectInput;
} {
  const keyObject = keyObjectOf(key);
  const digest = key.alg === 'EdDSA' ? null : `sha${key.alg.slice(2)}`;
  if (key.alg.startsWith('PS'))
    return {
      digest,
      input: {
        key: keyObject,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      },
    };
  if (key.alg.startsWith('ES'))
    return { digest, input: { key: keyObject, dsaEncoding: 'ieee-p1363' } };
  return { digest, input: { key: keyObject } };
}

/**
 * The signature of a JWS signing input, base64url. node:crypto with key objects converted once,
 * on the thread pool: as fast as jose's WebCrypto for RSA and 1.5-2× for ECDSA and EdDSA on this
 * machine, and it leaves the event loop free while an RSA signature is computed. jose still
 * parses and checks every JOSE object the service receives.
 */
function signature(input: string, key: SigningKey): Promise<string> {
  if (key.alg.startsWith('HS'))
    return Promise.resolve(
      createHmac(`sha${key.alg.slice(2)}`, key.key as Uint8Array)
        .update(input)
        .digest('base64url'),
    );
  const { digest, input: keyInput } = signatureParameters(key);
  return new Promise((resolve, reject) =>
    sign(digest, Buffer.from(input), keyInput, (err, sig) =>
      err ? reject(err) : resolve(sig.toString('base64url')),
    ),
  );
}

/** Compact JWS over the JSON of `payload`: `alg` and `kid` always come from our key, never input. */
export async function signCompact(
  payload: object | string,
  key: SigningKey,
  extras: JwsHeaderExtras = {},
): Promise<string> {
  const input = `${b64url(JSON.stringify(header(key, extras)))}.${b64url(payloadJson(payload))}`;
  return `${input}.${await signature(input, key)}`;
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
  const protectedHeader = b64url(JSON.stringify(header(key, extras)));
  const encodedPayload = b64url(payloadJson(payload));
  const input = `${protectedHeader}.${encodedPayload}`;
  return serializeFlattened({
    payload: encodedPayload,
    protected: protectedHeader,
    signature: await signature(input, key),
  });
}
