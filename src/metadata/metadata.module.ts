import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { MetadataController } from './metadata.controller';

@Module({ imports: [KeysModule], controllers: [MetadataController] })
export class MetadataModule {}
