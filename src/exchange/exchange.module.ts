import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { SigningModule } from '../signing/signing.module';
import { VerificationModule } from '../verification/verification.module';
import { ProfileExchangeController } from './profile-exchange.controller';
import { ProfileExchangeService } from './profile-exchange.service';
import { TokenExchangeController } from './token-exchange.controller';
import { TokenExchangeService } from './token-exchange.service';

@Module({
  imports: [KeysModule, SigningModule, VerificationModule, ClientsModule],
  controllers: [TokenExchangeController, ProfileExchangeController],
  providers: [ProfileExchangeService, TokenExchangeService],
  exports: [ProfileExchangeService],
})
export class ExchangeModule {}
