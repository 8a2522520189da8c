import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, importPKCS8, type JWK } from 'jose';
import { readKeyFiles, type OptumKeyFiles } from '../config/optum-key-files';
import type { UpstreamJwtSettings } from '../config/profile-parameters';
import type { SigningKey } from '../keys/signing-key';

export interface OptumSigning {
  key: SigningKey;
  /** The certificate of `public_key_location` when `x5c` is on (standard base64 DER). */
  x5c: string[] | undefined;
}

async function toOptumSigning(
  files: OptumKeyFiles,
  settings: UpstreamJwtSettings,
  now: number,
): Promise<OptumSigning> {
  const publicJwk = createPublicKey(files.privateKey).export({ format: 'jwk' }) as JWK;
  const kid = settings.key_id ?? (await calculateJwkThumbprint(publicJwk, 'sha256'));
  const pkcs8 = files.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return {
    key: {
      kid,
      alg: 'RS256',
      key: await importPKCS8(pkcs8, 'RS256'),
      publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' },
      status: 'current',
      createdAt: now,
    },
    x5c: settings.x5c && files.certificate ? [files.certificate.raw.toString('base64')] : undefined,
  };
}

const loaded = new WeakMap<UpstreamJwtSettings, Promise<OptumSigning>>();

/**
 * The key and `x5c` from Optum's files (undefined without them), read once per profile version:
 * as with Optum, which caches them until Kong restarts, replaced files apply when the profile is
 * next loaded.
 */
export function optumFileSigning(
  settings: UpstreamJwtSettings,
  now: number,
): Promise<OptumSigning> | undefined {
  if (settings.private_key_location === null) return undefined;
  let signing = loaded.get(settings);
  if (!signing) {
    const files = readKeyFiles(settings.private_key_location, settings.public_key_location);
    signing = toOptumSigning(files, settings, now);
    signing.catch(() => loaded.delete(settings));
    loaded.set(settings, signing);
  }
  return signing;
}
