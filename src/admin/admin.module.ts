import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { SigningModule } from '../signing/signing.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminRootController } from './admin.controller';
import { ClientsController } from './clients.controller';
import { ClientsAdminService } from './clients-admin.service';
import { ConfigExportService } from './config-export.service';
import { ConsumersController } from './consumers.controller';
import { ConsumersAdminService } from './consumers-admin.service';
import { KeysetsAdminService } from './keysets-admin.service';
import { KeysetsController } from './keysets.controller';
import { ProfilesAdminService } from './profiles-admin.service';
import { ProfilesController } from './profiles.controller';
import { SignersAdminService } from './signers-admin.service';
import { SignersController } from './signers.controller';

/**
 * `/admin`: run-time management behind `STS_ADMIN_TOKEN`. A resource is a controller declared
 * with `@AdminController`, DTOs, and a service that maps domain objects to views without
 * private members and wraps changes in `AuditLog.track`.
 */
@Module({
  imports: [KeysModule, SigningModule, ProfilesModule, ClientsModule],
  controllers: [
    AdminRootController,
    KeysetsController,
    SignersController,
    ProfilesController,
    ConsumersController,
    ClientsController,
  ],
  providers: [
    AdminAuthGuard,
    ConfigExportService,
    KeysetsAdminService,
    SignersAdminService,
    ProfilesAdminService,
    ConsumersAdminService,
    ClientsAdminService,
  ],
  exports: [AdminAuthGuard, ConfigExportService],
})
export class AdminModule {}
