import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { CertificateService } from './certificate.service';
import { KrakendSignerService } from './krakend-signer.service';

@Module({
  imports: [KeysModule],
  providers: [KrakendSignerService, CertificateService],
  exports: [KrakendSignerService, CertificateService],
})
export class SigningModule {}
