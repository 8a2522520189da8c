import { Module } from '@nestjs/common';
import { ConsumersModule } from '../consumers/consumers.module';
import { KeysModule } from '../keys/keys.module';
import { IntrospectionClient } from './introspection.client';
import { ProfileService } from './profile.service';
import { RemoteJwksCache } from './remote-jwks.cache';
import { VerificationService } from './verification.service';

@Module({
  imports: [KeysModule, ConsumersModule],
  providers: [ProfileService, RemoteJwksCache, IntrospectionClient, VerificationService],
  exports: [ProfileService, VerificationService, ConsumersModule],
})
export class VerificationModule {}
