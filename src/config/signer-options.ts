import { parsePin } from '../common/outbound-http';
import type { SignerOptions } from './file.schema';
import type { ConfigProblem } from '../common/validation';

/** Options KrakenD spells two ways: as its `SignerConfig` does today, and as its older docs do. */
const SPELLINGS = [
  ['keys_to_sign', 'keys-to-sign'],
  ['jwk_url', 'jwk-url'],
] as const;

/** The top-level keys a signer signs, under either spelling. */
export const keysToSign = (signer: SignerOptions): readonly string[] =>
  signer.keys_to_sign ?? signer['keys-to-sign'] ?? [];

/** The URL of a signer's private JWK set, under either spelling. */
export const jwkUrlOf = (signer: SignerOptions): string | undefined =>
  signer.jwk_url ?? signer['jwk-url'];

/** The name a block uses for its JWK set (for messages): `jwk_url`, `jwk-url` or `jwk_local_path`. */
export function jwkSourceName(signer: SignerOptions): string | undefined {
  if (signer.jwk_local_path !== undefined) return 'jwk_local_path';
  if (signer.jwk_url !== undefined) return 'jwk_url';
  return signer['jwk-url'] !== undefined ? 'jwk-url' : undefined;
}

/**
 * KrakenD-specific rules of one signer block: one spelling per option, `keys_to_sign` present, one
 * JWK set source, and pins that decode as KrakenD decodes them (URL-safe base64 of a SHA-256).
 */
export function krakendOptionProblems(signer: SignerOptions, at: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [current, older] of SPELLINGS) {
    if (signer[current] !== undefined && signer[older] !== undefined)
      problems.push({
        path: `${at}.${older}`,
        message: `set ${current} or its older spelling ${older}, not both`,
      });
  }
  if (signer.keys_to_sign === undefined && signer['keys-to-sign'] === undefined)
    problems.push({
      path: `${at}.keys_to_sign`,
      message: 'keys_to_sign is required (or its older spelling keys-to-sign)',
    });
  if (signer.jwk_local_path !== undefined && jwkUrlOf(signer) !== undefined)
    problems.push({
      path: `${at}.jwk_local_path`,
      message: `set jwk_local_path or ${signer.jwk_url !== undefined ? 'jwk_url' : 'jwk-url'}, not both`,
    });
  (signer.jwk_fingerprints ?? []).forEach((pin, index) => {
    if (typeof pin === 'string' && parsePin(pin) === undefined)
      problems.push({
        path: `${at}.jwk_fingerprints[${index}]`,
        message: `"${pin}" is not a fingerprint: URL-safe base64 of the SHA-256 (32 bytes) of a certificate's public key`,
      });
  });
  return problems;
}
