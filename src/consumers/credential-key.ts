import { createPublicKey, type KeyObject } from 'node:crypto';
import { importSPKI } from 'jose';
import type { SigningAlgorithm } from '../config/algorithms';
import { credentialProblem } from '../config/consumer.schema';

/**
 * The verification key of a credential's `rsa_public_key` PEM: a jose key, except an Ed448 key
 * for EdDSA, which jose cannot hold (its EdDSA is Ed25519) and stays a Node KeyObject for
 * `verifyEd448Signature`. A stored key is checked as at creation (rows written before a rule
 * existed fail here, logged, instead of verifying), then handed to jose as SPKI, the one form
 * `importSPKI` takes: a PKCS#1 RSA key is the same key re-encoded.
 */
export async function importCredentialKey(
  pem: string,
  algorithm: SigningAlgorithm,
): Promise<CryptoKey | KeyObject> {
  const problem = credentialProblem({ key: '', algorithm, rsa_public_key: pem });
  if (problem) throw new Error(problem);
  const key = createPublicKey(pem);
  if (algorithm === 'EdDSA' && key.asymmetricKeyType === 'ed448') return key;
  return importSPKI(key.export({ type: 'spki', format: 'pem' }) as string, algorithm);
}
