import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_LOGGER, type Logger } from './logger';

/** Makes the app's pino logger injectable (`@Inject(APP_LOGGER)`). */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: APP_LOGGER, useValue: logger }],
      exports: [APP_LOGGER],
    };
  }
}
