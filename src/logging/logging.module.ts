import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AuditLog } from './audit-log';
import { APP_LOGGER, type Logger } from './logger';

/** Makes the app's pino logger injectable (`@Inject(APP_LOGGER)`), and the audit log. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: APP_LOGGER, useValue: logger }, AuditLog],
      exports: [APP_LOGGER, AuditLog],
    };
  }
}
