import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KeysModule } from '../keys/keys.module';
import { DatabaseProbe } from './database.probe';
import { HealthController } from './health.controller';
import { ReadinessProbes } from './readiness-probes';

/** Global so that any module can register a readiness probe (`ReadinessProbes.register`). */
@Global()
@Module({
  // Failures are logged once, with their cause, by the probes themselves.
  imports: [TerminusModule.forRoot({ logger: false }), KeysModule],
  controllers: [HealthController],
  providers: [DatabaseProbe, ReadinessProbes],
  exports: [ReadinessProbes],
})
export class HealthModule {}
