import { Global, Module, type DynamicModule } from '@nestjs/common';
import { STS_CONFIG, type StsConfig } from './config';

/** The frozen configuration of the instance, injectable everywhere as `STS_CONFIG`. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: StsConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: STS_CONFIG, useValue: config }],
      exports: [STS_CONFIG],
    };
  }
}
