import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { JwksController } from './jwks.controller';
import { JwksService } from './jwks.service';

@Module({ imports: [KeysModule], controllers: [JwksController], providers: [JwksService] })
export class JwksModule {}
