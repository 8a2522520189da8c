import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config';
import { dataSourceOptions } from '../database/data-source';
import { MasterKeyRing, resolveMasterKeys } from '../keys/master-key';
import { rekeyStore } from '../keys/rekey';

/**
 * `npm run rekey`: re-encrypts every stored private key and secret under the first key of STS_MASTER_KEY,
 * with the configuration and database the service itself uses (same environment). Run it with
 * `STS_MASTER_KEY=new,old`; afterwards the old key can be dropped everywhere.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const ring = new MasterKeyRing(resolveMasterKeys(config.masterKeys, config).keys);
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl));
  await dataSource.initialize();
  try {
    const { rekeyed, total, masterKeyId } = await rekeyStore(dataSource, ring);
    console.log(
      `re-encrypted ${rekeyed} of ${total} sealed values (private keys and stored secrets); all are now under master key ${masterKeyId}`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(`rekey failed, nothing was changed: ${(err as Error).message ?? String(err)}`);
  process.exitCode = 1;
});
