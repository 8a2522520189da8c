import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import type { SignerConfig } from '../config/file.schema';
import { KrakendSignerService } from '../signing/krakend-signer.service';
import { AuditLog } from '../logging/audit-log';
import { assertNotInFile } from './file-ownership';
import type { SignerReplacement, SignerView } from './signers.dto';

/** KrakenD signers through the admin API: changes apply to the next request, no restart. */
@Injectable()
export class SignersAdminService {
  constructor(
    private readonly signers: KrakendSignerService,
    private readonly audit: AuditLog,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  list(): SignerView[] {
    return this.signers.list().map((signer) => this.view(signer.name));
  }

  get(name: string): SignerView {
    return this.view(name);
  }

  create(request: SignerConfig): Promise<SignerView> {
    return this.audit.track('create', 'signer', request.name, async () => {
      assertNotInFile('signer', request.name, this.config.file.signers);
      if (this.signers.list().some((s) => s.name === request.name))
        throw Errors.conflict(`signer "${request.name}" exists`);
      await this.signers.put(request);
      return this.view(request.name);
    });
  }

  /** Creates or replaces; `created` tells which (201 or 200). */
  replace(
    name: string,
    request: SignerReplacement,
  ): Promise<{ created: boolean; view: SignerView }> {
    return this.audit.track('update', 'signer', name, async () => {
      if (request.name !== undefined && request.name !== name)
        throw Errors.invalidRequest(`name "${request.name}" in the body differs from the path`);
      assertNotInFile('signer', name, this.config.file.signers);
      const created = await this.signers.put({ ...request, name });
      return { created, view: this.view(name) };
    });
  }

  delete(name: string): Promise<void> {
    return this.audit.track('delete', 'signer', name, async () => {
      this.signers.get(name);
      assertNotInFile('signer', name, this.config.file.signers);
      await this.signers.remove(name);
    });
  }

  private view(name: string): SignerView {
    const signer = this.signers.get(name);
    const unavailable = this.signers.unavailableReason(name);
    return {
      ...signer,
      managed_by: this.config.file.signers.some((s) => s.name === name) ? 'file' : 'api',
      ...(unavailable !== undefined ? { unavailable } : {}),
    };
  }
}
