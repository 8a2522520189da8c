import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { CertificateService } from './certificate.service';
import { JwsSigner } from './jws-signer.service';
import { KrakendSignerService } from './krakend-signer.service';
import { ResigningService } from './resigning.service';
import { SignerStore } from './signer.store';

@Module({
  imports: [KeysModule],
  providers: [JwsSigner, SignerStore, KrakendSignerService, CertificateService, ResigningService],
  exports: [JwsSigner, KrakendSignerService, CertificateService, ResigningService],
})
export class SigningModule {}
