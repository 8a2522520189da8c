import { DataSource } from 'typeorm';
import { systemClock } from '../common/clock';
import { loadConfig } from '../config/config';
import { dataSourceOptions } from '../database/data-source';
import { KeysetStore } from '../keys/keyset.store';
import { MasterKeyRing, resolveMasterKeys } from '../keys/master-key';

/**
 * `npm run rekey`: re-encrypts every stored private key under the first key of STS_MASTER_KEY,
 * with the configuration and database the service itself uses (same environment). Run it with
 * `STS_MASTER_KEY=new,old`; afterwards the old key can be dropped everywhere.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const ring = new MasterKeyRing(resolveMasterKeys(config.masterKeys, config).keys);
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl));
  await dataSource.initialize();
  try {
    const { rekeyed, total, masterKeyId } = await new KeysetStore(
      dataSource,
      ring,
      systemClock,
    ).rekey();
    console.log(
      `re-encrypted ${rekeyed} of ${total} private keys; all are now sealed under master key ${masterKeyId}`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(`rekey failed, nothing was changed: ${(err as Error).message ?? String(err)}`);
  process.exitCode = 1;
});
