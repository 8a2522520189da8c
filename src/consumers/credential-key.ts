import { createPublicKey, type KeyObject } from 'node:crypto';
import { importSPKI } from 'jose';
import type { SigningAlgorithm } from '../config/algorithms';

/**
 * The verification key of a credential's `rsa_public_key` PEM: a jose key, except an Ed448 key
 * for EdDSA, which jose cannot hold (its EdDSA is Ed25519) and stays a Node KeyObject for
 * `verifyEd448Signature`. Only an SPKI public key PEM is taken, as `importSPKI` requires.
 */
export async function importCredentialKey(
  pem: string,
  algorithm: SigningAlgorithm,
): Promise<CryptoKey | KeyObject> {
  if (algorithm === 'EdDSA' && pem.startsWith('-----BEGIN PUBLIC KEY-----')) {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType === 'ed448') return key;
  }
  return importSPKI(pem, algorithm);
}
