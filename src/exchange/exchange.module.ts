import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { SigningModule } from '../signing/signing.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { VerificationModule } from '../verification/verification.module';
import { ProfileExchangeController } from './profile-exchange.controller';
import { TokenExchangeController } from './token-exchange.controller';
import { TokenExchangeService } from './token-exchange.service';

@Module({
  imports: [SigningModule, VerificationModule, UpstreamModule, ClientsModule],
  controllers: [TokenExchangeController, ProfileExchangeController],
  providers: [TokenExchangeService],
})
export class ExchangeModule {}
