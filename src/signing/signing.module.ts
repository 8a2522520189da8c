import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { JwsSigner } from './jws-signer.service';
import { KrakendSignerService } from './krakend-signer.service';

@Module({
  imports: [KeysModule],
  providers: [JwsSigner, KrakendSignerService],
  exports: [JwsSigner, KrakendSignerService],
})
export class SigningModule {}
