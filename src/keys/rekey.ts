import type { DataSource, EntityManager } from 'typeorm';
import { JwtCredentialEntity, credentialSecretAad } from '../database/jwt-credential.entity';
import { isSealed, ProfileEntity, profileSecretAad } from '../database/profile.entity';
import { privateJwkAad, SigningKeyEntity } from '../database/signing-key.entity';
import type { MasterKeyRing } from './master-key';

export interface RekeySummary {
  /** Sealed values re-encrypted by this run. */
  rekeyed: number;
  /** Sealed values in the store. */
  total: number;
  masterKeyId: string;
}

/**
 * Re-encrypts every value sealed under a master key other than the primary (first) one: private
 * keys, HMAC credential secrets and the credentials inside profiles. One transaction, so a value
 * that does not decrypt leaves the whole store as it was.
 */
export function rekeyStore(dataSource: DataSource, ring: MasterKeyRing): Promise<RekeySummary> {
  return dataSource.transaction(async (em) => {
    const counts = [
      await rekeyPrivateKeys(em, ring),
      await rekeyCredentialSecrets(em, ring),
      await rekeyProfileSecrets(em, ring),
    ];
    return {
      rekeyed: counts.reduce((sum, c) => sum + c.rekeyed, 0),
      total: counts.reduce((sum, c) => sum + c.total, 0),
      masterKeyId: ring.primaryId,
    };
  });
}

type Counts = { rekeyed: number; total: number };

function reseal(ring: MasterKeyRing, ciphertext: string, keyId: string, aad: string) {
  return ring.encrypt(ring.decrypt(ciphertext, keyId, aad), aad);
}

async function rekeyPrivateKeys(em: EntityManager, ring: MasterKeyRing): Promise<Counts> {
  const rows = await em.find(SigningKeyEntity);
  let rekeyed = 0;
  for (const row of rows) {
    if (row.masterKeyId === ring.primaryId) continue;
    const { ciphertext, keyId } = reseal(
      ring,
      row.privateJwkEncrypted,
      row.masterKeyId,
      privateJwkAad(row.keysetId, row.kid),
    );
    await em.update(
      SigningKeyEntity,
      { id: row.id },
      { privateJwkEncrypted: ciphertext, masterKeyId: keyId },
    );
    rekeyed++;
  }
  return { rekeyed, total: rows.length };
}

async function rekeyCredentialSecrets(em: EntityManager, ring: MasterKeyRing): Promise<Counts> {
  const rows = (await em.find(JwtCredentialEntity)).filter(
    (row) => row.secretEncrypted !== null && row.masterKeyId !== null,
  );
  let rekeyed = 0;
  for (const row of rows) {
    if (row.masterKeyId === ring.primaryId) continue;
    const { ciphertext, keyId } = reseal(
      ring,
      row.secretEncrypted!,
      row.masterKeyId!,
      credentialSecretAad(row.id),
    );
    await em.update(
      JwtCredentialEntity,
      { id: row.id },
      { secretEncrypted: ciphertext, masterKeyId: keyId },
    );
    rekeyed++;
  }
  return { rekeyed, total: rows.length };
}

async function rekeyProfileSecrets(em: EntityManager, ring: MasterKeyRing): Promise<Counts> {
  let rekeyed = 0;
  let total = 0;
  for (const row of await em.find(ProfileEntity)) {
    const config = JSON.parse(row.config) as Record<string, unknown>;
    let changed = false;
    for (const [field, value] of Object.entries(config)) {
      if (!isSealed(value)) continue;
      total++;
      if (value.$key === ring.primaryId) continue;
      const { ciphertext, keyId } = reseal(
        ring,
        value.$encrypted,
        value.$key,
        profileSecretAad(row.name, field),
      );
      config[field] = { $encrypted: ciphertext, $key: keyId };
      changed = true;
      rekeyed++;
    }
    if (changed) await em.update(ProfileEntity, { id: row.id }, { config: JSON.stringify(config) });
  }
  return { rekeyed, total };
}
