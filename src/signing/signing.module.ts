import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { KrakendSignerService } from './krakend-signer.service';
import { SignerStore } from './signer.store';

@Module({
  imports: [KeysModule],
  providers: [SignerStore, KrakendSignerService],
  exports: [KrakendSignerService],
})
export class SigningModule {}
