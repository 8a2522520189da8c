import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { CertificateService } from './certificate.service';
import { JwsSigner } from './jws-signer.service';
import { KrakendSignerService } from './krakend-signer.service';
import { ResigningService } from './resigning.service';

@Module({
  imports: [KeysModule],
  providers: [JwsSigner, KrakendSignerService, CertificateService, ResigningService],
  exports: [JwsSigner, KrakendSignerService, CertificateService, ResigningService],
})
export class SigningModule {}
