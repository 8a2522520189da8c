import { calculateJwkThumbprint, exportJWK, generateKeyPair, generateSecret, type JWK } from 'jose';
import { isHmac, type SigningAlgorithm } from '../config/algorithms';
import { thumbprintInput, toPublicJwk } from './public-jwk';

export interface GeneratedKey {
  kid: string;
  alg: SigningAlgorithm;
  privateJwk: JWK;
  publicJwk: JWK | undefined;
}

/** A new signing key for `alg`; `kid` is its RFC 7638 thumbprint. */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  rsaBits = 2048,
): Promise<GeneratedKey> {
  let privateJwk: JWK;
  if (isHmac(alg)) {
    privateJwk = await exportJWK(await generateSecret(alg, { extractable: true }));
  } else {
    const { privateKey } = await generateKeyPair(alg, {
      extractable: true,
      modulusLength: rsaBits,
      crv: alg === 'EdDSA' ? 'Ed25519' : undefined,
    });
    privateJwk = await exportJWK(privateKey);
  }
  const kid = await calculateJwkThumbprint(thumbprintInput(privateJwk), 'sha256');
  privateJwk = { ...privateJwk, kid, alg, use: 'sig' };
  return { kid, alg, privateJwk, publicJwk: toPublicJwk(privateJwk) };
}
