import { Module } from '@nestjs/common';
import { SigningModule } from '../signing/signing.module';
import { TokenController } from './token.controller';

@Module({ imports: [SigningModule], controllers: [TokenController] })
export class TokenModule {}
