import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Clock } from './common/clock';
import { CommonModule } from './common/common.module';
import { StsErrorFilter } from './common/error.filter';
import type { OutboundHttp } from './common/outbound-http';
import type { StsConfig } from './config/config';
import { DatabaseModule } from './database/database.module';
import { JwksModule } from './jwks/jwks.module';
import { KeysModule } from './keys/keys.module';
import { AuthzModule } from './authz/authz.module';
import { ExchangeModule } from './exchange/exchange.module';
import { IntrospectModule } from './introspect/introspect.module';
import { MetadataModule } from './metadata/metadata.module';
import { TokenModule } from './token/token.module';

@Module({})
export class AppModule {
  static forRoot(config: StsConfig, clock: Clock, http: OutboundHttp): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CommonModule.forRoot(config, clock, http),
        DatabaseModule,
        KeysModule,
        JwksModule,
        TokenModule,
        MetadataModule,
        IntrospectModule,
        ExchangeModule,
        AuthzModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: StsErrorFilter }],
    };
  }
}
