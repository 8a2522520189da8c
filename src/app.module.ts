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
import { TokenModule } from './token/token.module';
import { VerifyModule } from './verify/verify.module';

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
        VerifyModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: StsErrorFilter }],
    };
  }
}
