import { Inject, Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { RouteMethods } from '../common/route-methods';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { KeysModule } from '../keys/keys.module';
import { SigningModule } from '../signing/signing.module';
import { VerificationModule } from '../verification/verification.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { AdminAuthGuard } from './admin-auth.guard';
import { ADMIN_PREFIXES } from './admin-controller.decorator';
import { AdminRootController } from './admin.controller';
import { ClientsController } from './clients.controller';
import { ClientsAdminService } from './clients-admin.service';
import { ConfigExportService } from './config-export.service';
import { ConsumersController } from './consumers.controller';
import { ConsumersAdminService } from './consumers-admin.service';
import { IdentityProvidersController } from './identity-providers.controller';
import { KeysetsAdminService } from './keysets-admin.service';
import { KeysetsController } from './keysets.controller';
import { KongJwksController } from './kong-jwks.controller';
import { KongJwksService } from './kong-jwks.service';
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
  imports: [KeysModule, SigningModule, ProfilesModule, ClientsModule, VerificationModule],
  controllers: [
    AdminRootController,
    KeysetsController,
    SignersController,
    ProfilesController,
    ConsumersController,
    ClientsController,
    KongJwksController,
    IdentityProvidersController,
  ],
  providers: [
    AdminAuthGuard,
    ConfigExportService,
    KeysetsAdminService,
    SignersAdminService,
    ProfilesAdminService,
    ConsumersAdminService,
    ClientsAdminService,
    KongJwksService,
  ],
  exports: [AdminAuthGuard, ConfigExportService],
})
export class AdminModule {
  constructor(routes: RouteMethods, @Inject(STS_CONFIG) config: StsConfig) {
    // Off, the admin API is not there: every method on its paths is a 404, never a 405.
    if (config.adminToken === undefined) for (const prefix of ADMIN_PREFIXES) routes.hide(prefix);
  }
}
