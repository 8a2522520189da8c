import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CLOCK, type Clock } from './clock';
import { OutboundHttp } from './outbound-http';
import { ReadinessProbes } from './readiness-probes';
import { TRACING, type Tracing } from './tracing';

/**
 * Process-wide singletons: the clock, the one outbound HTTP client, tracing (TRACING_OFF unless
 * configured), and the registry any module adds readiness conditions to
 * (`ReadinessProbes.register`).
 */
@Global()
@Module({})
export class CommonModule {
  static forRoot(clock: Clock, http: OutboundHttp, tracing: Tracing): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: OutboundHttp, useValue: http },
        { provide: TRACING, useValue: tracing },
        ReadinessProbes,
      ],
      exports: [CLOCK, OutboundHttp, TRACING, ReadinessProbes],
    };
  }
}
