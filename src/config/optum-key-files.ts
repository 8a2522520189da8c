import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConfigProblem } from '../common/validation';
import type { UpstreamJwtSettings } from './profile-parameters';

/** What Optum's key files hold: the RSA key that signs and, when given, its certificate. */
export interface OptumKeyFiles {
  privateKey: KeyObject;
  certificate: X509Certificate | undefined;
}

class KeyFileError extends Error {
  constructor(
    readonly field: 'private_key_location' | 'public_key_location',
    message: string,
  ) {
    super(message);
  }
}

function readKeyFile(field: KeyFileError['field'], path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new KeyFileError(field, `cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
}

/** Reads and checks Optum's files: a PEM private key (RS256) and its certificate, DER as Optum's `.cer`, or PEM. */
export function readKeyFiles(privatePath: string, publicPath: string | null): OptumKeyFiles {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readKeyFile('private_key_location', privatePath));
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    throw new KeyFileError('private_key_location', `${privatePath} holds no PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa')
    throw new KeyFileError(
      'private_key_location',
      `${privatePath} holds an ${privateKey.asymmetricKeyType ?? 'unknown'} key; Optum's upstream JWT is RS256 and needs an RSA key`,
    );
  if (publicPath === null) return { privateKey, certificate: undefined };
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(readKeyFile('public_key_location', publicPath));
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    throw new KeyFileError(
      'public_key_location',
      `${publicPath} holds no X.509 certificate (DER or PEM); x5c carries the certificate of the signing key`,
    );
  }
  if (!certificate.checkPrivateKey(privateKey))
    throw new KeyFileError(
      'public_key_location',
      `the certificate in ${publicPath} is not for the key in private_key_location`,
    );
  return { privateKey, certificate };
}

/** Rules of Optum's key options in an `upstream_jwt` block; its files must read and match. */
export function optumKeyProblems(settings: UpstreamJwtSettings, at: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (field: string, message: string) =>
    problems.push({ path: `${at}.${field}`, message });
  if (settings.private_key_location === null) {
    for (const field of ['public_key_location', 'key_id'] as const)
      if (settings[field] !== null)
        problem(
          field,
          `${field} goes with private_key_location; a keyset signs with its own kid (published in our JWKS)`,
        );
    return problems;
  }
  if (settings.keyset !== null) problem('keyset', 'set keyset or private_key_location, not both');
  if (settings.x5c && settings.public_key_location === null)
    problem('x5c', 'x5c needs the certificate in public_key_location');
  try {
    readKeyFiles(settings.private_key_location, settings.public_key_location);
  } catch (err) {
    if (!(err instanceof KeyFileError)) throw err;
    problem(err.field, err.message);
  }
  return problems;
}
