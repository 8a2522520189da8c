import { Module } from '@nestjs/common';
import { ConsumersModule } from '../consumers/consumers.module';
import { KeysModule } from '../keys/keys.module';
import { ProfileService } from './profile.service';

@Module({
  imports: [KeysModule, ConsumersModule],
  providers: [ProfileService],
  exports: [ProfileService, ConsumersModule],
})
export class ProfilesModule {}
