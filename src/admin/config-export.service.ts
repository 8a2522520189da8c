import { Inject, Injectable } from '@nestjs/common';
import { STS_CONFIG, type StsConfig } from '../config/config';
import type { KeysetConfig, SignerConfig } from '../config/file.schema';
import { KeysetService } from '../keys/keyset.service';
import { KrakendSignerService } from '../signing/krakend-signer.service';
import { keysetDeclaration } from './keysets-admin.service';

/** The live configuration in the declarative file's shape. */
export interface ExportedConfig {
  issuer: string;
  keysets: KeysetConfig[];
  signers: SignerConfig[];
}

/**
 * `GET /admin/config`: what is configured now (the file's entities and the admin API's alike) in
 * the declarative file's format, so it can be kept as `STS_CONFIG` and applied elsewhere. Keys
 * are state, not configuration, and never leave; every section is ordered by name and every
 * duration spelled canonically, so export → import → export gives the same text. Resources that
 * carry secrets redact them here.
 */
@Injectable()
export class ConfigExportService {
  constructor(
    private readonly keysets: KeysetService,
    private readonly signers: KrakendSignerService,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  export(): ExportedConfig {
    return {
      issuer: this.config.issuer,
      keysets: this.keysets.list().map(keysetDeclaration),
      signers: this.signers.list(),
    };
  }
}
