import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/config';
import { dataSourceOptions } from './src/database/data-source';

/** DataSource for the TypeORM CLI (`npm run typeorm -- migration:show`). */
export default new DataSource(dataSourceOptions(loadConfig().databaseUrl));
