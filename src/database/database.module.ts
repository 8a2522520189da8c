import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { dataSourceOptions } from './data-source';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [STS_CONFIG],
      useFactory: (config: StsConfig) => ({
        ...dataSourceOptions(config.databaseUrl),
        migrationsRun: true,
        retryAttempts: 0,
      }),
    }),
  ],
})
export class DatabaseModule {}
