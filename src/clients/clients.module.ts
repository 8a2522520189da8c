import { Module } from '@nestjs/common';
import { ClientAuthenticator } from './client-authenticator';
import { ClientService } from './client.service';

@Module({
  providers: [ClientService, ClientAuthenticator],
  exports: [ClientService, ClientAuthenticator],
})
export class ClientsModule {}
