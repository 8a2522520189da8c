import { Global, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { dataSourceOptions, endStartup, openStore } from './data-source';
import { StoreSync } from './store-sync';

/** The store: TypeORM's data source, and the timer that keeps instances sharing it in step. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [STS_CONFIG],
      useFactory: (config: StsConfig) => ({
        ...dataSourceOptions(config.databaseUrl),
        retryAttempts: 0,
      }),
      dataSourceFactory: (options) => openStore(options!),
    }),
  ],
  providers: [StoreSync],
  exports: [StoreSync],
})
export class DatabaseModule implements OnApplicationBootstrap {
  constructor(private readonly dataSource: DataSource) {}

  /** Every module's onModuleInit (which writes the declarative file) has run by now. */
  onApplicationBootstrap(): Promise<void> {
    return endStartup(this.dataSource);
  }
}
