import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { SigningModule } from '../signing/signing.module';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminRootController } from './admin.controller';
import { AuditLog } from './audit-log.service';
import { ConfigExportService } from './config-export.service';
import { KeysetsAdminService } from './keysets-admin.service';
import { KeysetsController } from './keysets.controller';
import { SignersAdminService } from './signers-admin.service';
import { SignersController } from './signers.controller';

/**
 * `/admin`: run-time management behind `STS_ADMIN_TOKEN`. A resource is a controller declared
 * with `@AdminController`, DTOs, and a service that maps domain objects to views without
 * private members and wraps changes in `AuditLog.track`.
 */
@Module({
  imports: [KeysModule, SigningModule],
  controllers: [AdminRootController, KeysetsController, SignersController],
  providers: [
    AdminAuthGuard,
    AuditLog,
    ConfigExportService,
    KeysetsAdminService,
    SignersAdminService,
  ],
  exports: [AdminAuthGuard, AuditLog, ConfigExportService],
})
export class AdminModule {}
