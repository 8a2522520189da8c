import { Module } from '@nestjs/common';
import { VerificationModule } from '../verification/verification.module';
import { VerifyController } from './verify.controller';

@Module({ imports: [VerificationModule], controllers: [VerifyController] })
export class VerifyModule {}
