import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminModule } from './admin/admin.module';
import type { Clock } from './common/clock';
import { CommonModule } from './common/common.module';
import { StsErrorFilter } from './common/error.filter';
import type { OutboundHttp } from './common/outbound-http';
import type { Tracing } from './common/tracing';
import type { StsConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { JwksModule } from './jwks/jwks.module';
import { KeysModule } from './keys/keys.module';
import { AuthzModule } from './authz/authz.module';
import { ExchangeModule } from './exchange/exchange.module';
import { IntrospectModule } from './introspect/introspect.module';
import { MetadataModule } from './metadata/metadata.module';
import { RateLimitModule } from './limits/rate-limit';
import type { Logger } from './logging/logger';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { TokenModule } from './token/token.module';
import { VerifyModule } from './verify/verify.module';

export type ExtraModule = Type | DynamicModule;

@Module({})
export class AppModule {
  static forRoot(
    config: StsConfig,
    clock: Clock,
    http: OutboundHttp,
    tracing: Tracing,
    logger: Logger,
    extraModules: ExtraModule[] = [],
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule.forRoot(clock, http, tracing),
        LoggingModule.forRoot(logger),
        DatabaseModule,
        KeysModule,
        MetricsModule,
        HealthModule,
        RateLimitModule,
        JwksModule,
        TokenModule,
        MetadataModule,
        IntrospectModule,
        ExchangeModule,
        AuthzModule,
        ...extraModules,
        AdminModule,
        VerifyModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: StsErrorFilter }],
    };
  }
}
