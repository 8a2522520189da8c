import { Global, Module, type DynamicModule } from '@nestjs/common';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { CLOCK, type Clock } from './clock';
import { OutboundHttp } from './outbound-http';

/** Process-wide singletons: the frozen config, the clock and the one outbound HTTP client. */
@Global()
@Module({})
export class CommonModule {
  static forRoot(config: StsConfig, clock: Clock, http: OutboundHttp): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: STS_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
        { provide: OutboundHttp, useValue: http },
      ],
      exports: [STS_CONFIG, CLOCK, OutboundHttp],
    };
  }
}
