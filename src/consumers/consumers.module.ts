import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { ConsumerService } from './consumer.service';

@Module({ imports: [KeysModule], providers: [ConsumerService], exports: [ConsumerService] })
export class ConsumersModule {}
