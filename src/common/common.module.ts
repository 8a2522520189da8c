import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CLOCK, type Clock } from './clock';
import { OutboundHttp } from './outbound-http';
import { ReadinessProbes } from './readiness-probes';

/**
 * Process-wide singletons: the clock, the one outbound HTTP client, and the registry any module
 * adds readiness conditions to (`ReadinessProbes.register`).
 */
@Global()
@Module({})
export class CommonModule {
  static forRoot(clock: Clock, http: OutboundHttp): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: OutboundHttp, useValue: http },
        ReadinessProbes,
      ],
      exports: [CLOCK, OutboundHttp, ReadinessProbes],
    };
  }
}
