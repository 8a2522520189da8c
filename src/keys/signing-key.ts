import type { JWK } from 'jose';
import type { KeyStatus } from '../database/signing-key.entity';
import type { SigningAlgorithm } from '../config/algorithms';

/** A usable private key held in memory. Only the keys module creates these. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly key: CryptoKey | Uint8Array;
  /** Allow-listed public members; undefined for HMAC keys. */
  readonly publicJwk: JWK | undefined;
  readonly status: KeyStatus;
  readonly createdAt: number;
}
