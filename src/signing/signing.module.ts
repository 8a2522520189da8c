import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { CertificateService } from './certificate.service';
import { KrakendSignerService } from './krakend-signer.service';
import { ResigningService } from './resigning.service';

@Module({
  imports: [KeysModule],
  providers: [KrakendSignerService, CertificateService, ResigningService],
  exports: [KrakendSignerService, CertificateService, ResigningService],
})
export class SigningModule {}
