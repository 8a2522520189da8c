import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CLOCK, type Clock } from './clock';
import { OutboundHttp } from './outbound-http';

/** Process-wide singletons: the clock and the one outbound HTTP client. */
@Global()
@Module({})
export class CommonModule {
  static forRoot(clock: Clock, http: OutboundHttp): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: OutboundHttp, useValue: http },
      ],
      exports: [CLOCK, OutboundHttp],
    };
  }
}
