import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/** A record sealed under a master key STS_MASTER_KEY does not list: configuration, not damage. */
export class MissingMasterKeyError extends MasterKeyError {}

interface MasterKey {
  id: string;
  key: Buffer;
}

function parseMasterKey(encoded: string, position: number): MasterKey {
  const key = Buffer.from(encoded, 'base64');
  if (
    key.length !== 32 ||
    key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')
  ) {
    throw new MasterKeyError(
      `STS_MASTER_KEY entry ${position + 1} must be 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`)`,
    );
  }
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

/**
 * Encrypts private key material at rest with AES-256-GCM. The first master key encrypts; every
 * listed key can decrypt (so an old key can sit next to a new one while rekeying). Each record
 * gets a fresh nonce and is bound to its owner through the additional authenticated data, so a
 * ciphertext copied onto another record does not decrypt.
 */
export class MasterKeyRing {
  private readonly keys: MasterKey[];

  constructor(encodedKeys: readonly string[]) {
    if (encodedKeys.length === 0) throw new MasterKeyError('no master key given');
    this.keys = encodedKeys.map(parseMasterKey);
  }

  get primaryId(): string {
    return this.keys[0]!.id;
  }

  encrypt(plaintext: string, aad: string): { ciphertext: string; keyId: string } {
    const { id, key } = this.keys[0]!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      ciphertext: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url'),
      keyId: id,
    };
  }

  decrypt(ciphertext: string, keyId: string, aad: string): string {
    const master = this.keys.find((k) => k.id === keyId);
    if (!master) {
      throw new MissingMasterKeyError(
        `stored key material was encrypted under master key ${keyId}, which STS_MASTER_KEY does not hold (loaded: ${this.keys.map((k) => k.id).join(', ')}); list every master key the store uses, newest first — after \`npm run rekey\` only the first is needed`,
      );
    }
    const raw = Buffer.from(ciphertext, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', master.key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new MasterKeyError(
        `master key ${keyId} does not decrypt stored key material (wrong key or corrupted record)`,
      );
    }
  }
}

export const DEV_MASTER_KEY_FILE = 'master.key';

/**
 * The master keys to use: `STS_MASTER_KEY` when set; otherwise, outside production, a key
 * generated once into the data directory (the caller warns loudly); in production, an error.
 */
export function resolveMasterKeys(
  configured: readonly string[],
  options: { production: boolean; dataDir: string },
): { keys: readonly string[]; generatedFile?: string } {
  if (configured.length > 0) return { keys: configured };
  if (options.production) {
    throw new MasterKeyError(
      'NODE_ENV=production requires STS_MASTER_KEY (32 bytes, base64; `openssl rand -base64 32`) to encrypt private keys at rest',
    );
  }
  const file = join(options.dataDir, DEV_MASTER_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { keys: [readFileSync(file, 'utf8').trim()], generatedFile: file };
}
