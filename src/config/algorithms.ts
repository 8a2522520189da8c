export const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
export const EC_ALGORITHMS = ['ES256', 'ES384', 'ES512'] as const;
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = [...RSA_ALGORITHMS, ...EC_ALGORITHMS, 'EdDSA'] as const;
export const SIGNING_ALGORITHMS = [...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS] as const;

export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export const isSigningAlgorithm = (alg: unknown): alg is SigningAlgorithm =>
  (SIGNING_ALGORITHMS as readonly unknown[]).includes(alg);

export const isHmac = (alg: string): boolean => alg.startsWith('HS');

const EC_CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const HMAC_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

/** The JWK `kty`/`crv` an algorithm needs, used to validate externally supplied keys. */
export function expectedKeyShape(alg: SigningAlgorithm): { kty: string; crv?: string } {
  if (isHmac(alg)) return { kty: 'oct' };
  if (alg === 'EdDSA') return { kty: 'OKP', crv: 'Ed25519' };
  if (alg.startsWith('ES')) return { kty: 'EC', crv: EC_CURVES[alg] };
  return { kty: 'RSA' };
}

export const hmacSecretBytes = (alg: SigningAlgorithm): number => HMAC_BYTES[alg] ?? 32;
