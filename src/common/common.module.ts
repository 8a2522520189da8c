import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CLOCK, type Clock } from './clock';
import { OutboundHttp } from './outbound-http';
import { ReadinessProbes } from './readiness-probes';
import { RouteMethods } from './route-methods';
import { TRACING, type Tracing } from './tracing';

/**
 * Process-wide singletons: the clock, the one outbound HTTP client, tracing (TRACING_OFF unless
 * configured), the registry any module adds readiness conditions to
 * (`ReadinessProbes.register`), and the routes' methods (405 answers).
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
        RouteMethods,
      ],
      exports: [CLOCK, OutboundHttp, TRACING, ReadinessProbes, RouteMethods],
    };
  }
}
