import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { ConsumerService } from './consumer.service';
import { ConsumerStore } from './consumer.store';

@Module({
  imports: [KeysModule],
  providers: [ConsumerStore, ConsumerService],
  exports: [ConsumerService],
})
export class ConsumersModule {}
