import { Module } from '@nestjs/common';
import { ExchangeModule } from '../exchange/exchange.module';
import { ForwardAuthService } from './forward-auth.service';

@Module({
  imports: [ExchangeModule],
  providers: [ForwardAuthService],
  exports: [ForwardAuthService],
})
export class AuthzModule {}
