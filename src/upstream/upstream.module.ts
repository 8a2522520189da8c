import { Module } from '@nestjs/common';
import { SigningModule } from '../signing/signing.module';
import { VerificationModule } from '../verification/verification.module';
import { ProfileExchangeService } from './profile-exchange.service';

/** verify → re-sign → upstream headers: what `/exchange/{profile}` and `/authz` both answer with. */
@Module({
  imports: [SigningModule, VerificationModule],
  providers: [ProfileExchangeService],
  exports: [ProfileExchangeService],
})
export class UpstreamModule {}
