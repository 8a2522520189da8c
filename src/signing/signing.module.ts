import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { KrakendSignerService } from './krakend-signer.service';

@Module({
  imports: [KeysModule],
  providers: [KrakendSignerService],
  exports: [KrakendSignerService],
})
export class SigningModule {}
