import { Logger, Module } from '@nestjs/common';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { ExternalKeysets } from './external-keysets';
import { KeyMetrics } from './key-metrics';
import { KeyRegistry } from './key-registry';
import { KeysetRotation } from './keyset-rotation';
import { KeysetService } from './keyset.service';
import { KeysetStore } from './keyset.store';
import { MasterKeyRing, resolveMasterKeys } from './master-key';
import { RotationScheduler } from './rotation-scheduler';
import { StoredKeysets } from './stored-keysets';

function masterKeyRing(config: StsConfig): MasterKeyRing {
  const { keys, generatedFile } = resolveMasterKeys(config.masterKeys, config);
  if (generatedFile) {
    new Logger('MasterKey').warn(
      [
        '',
        '*****************************************************************************',
        '*  DEVELOPMENT MASTER KEY IN USE: STS_MASTER_KEY is not set.                 *',
        `*  Private keys are encrypted with a key stored next to them in ${generatedFile}`,
        '*  Anyone who can read the data directory can read every private key.       *',
        '*  Set STS_MASTER_KEY (openssl rand -base64 32) before production use.      *',
        '*****************************************************************************',
      ].join('\n'),
    );
  }
  return new MasterKeyRing(keys);
}

@Module({
  providers: [
    { provide: MasterKeyRing, inject: [STS_CONFIG], useFactory: masterKeyRing },
    KeysetStore,
    KeyRegistry,
    StoredKeysets,
    KeysetRotation,
    ExternalKeysets,
    KeysetService,
    RotationScheduler,
    KeyMetrics,
  ],
  exports: [
    KeyRegistry,
    KeysetService,
    KeysetRotation,
    ExternalKeysets,
    RotationScheduler,
    MasterKeyRing,
  ],
})
export class KeysModule {}
