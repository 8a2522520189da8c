import { Module } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { ProfilesModule } from '../profiles/profiles.module';
import { IdentityProviders } from './identity-providers';
import { IntrospectionClient } from './introspection.client';
import { ProfilePolicies } from './profile-policies';
import { RemoteJwksCache } from './remote-jwks.cache';
import { VERIFY_CACHE_MAX_BYTES, VerifiedTokenCache } from './verified-token-cache';
import { VerificationService } from './verification.service';

@Module({
  imports: [ProfilesModule],
  providers: [
    ProfilePolicies,
    RemoteJwksCache,
    IntrospectionClient,
    VerificationService,
    IdentityProviders,
    {
      provide: VerifiedTokenCache,
      inject: [STS_CONFIG, CLOCK, MetricsService],
      useFactory: (config: StsConfig, clock: Clock, metrics: MetricsService) =>
        new VerifiedTokenCache(
          {
            max: config.verification.verifyCacheMax,
            ttlSeconds: config.verification.verifyCacheTtlSeconds,
            maxBytes: VERIFY_CACHE_MAX_BYTES,
          },
          clock,
          metrics,
        ),
    },
  ],
  exports: [VerificationService, IdentityProviders],
})
export class VerificationModule {}
