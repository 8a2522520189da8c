import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KeysModule } from '../keys/keys.module';
import { DatabaseProbe } from './database.probe';
import { HealthController } from './health.controller';

@Module({
  // Failures are logged once, with their cause, by the probes themselves.
  imports: [TerminusModule.forRoot({ logger: false }), KeysModule],
  controllers: [HealthController],
  providers: [DatabaseProbe],
})
export class HealthModule {}
