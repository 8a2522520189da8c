import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module';
import { IdentityProviders } from './identity-providers';
import { IntrospectionClient } from './introspection.client';
import { ProfilePolicies } from './profile-policies';
import { RemoteJwksCache } from './remote-jwks.cache';
import { VerificationService } from './verification.service';

@Module({
  imports: [ProfilesModule],
  providers: [
    ProfilePolicies,
    RemoteJwksCache,
    IntrospectionClient,
    VerificationService,
    IdentityProviders,
  ],
  exports: [VerificationService, IdentityProviders],
})
export class VerificationModule {}
