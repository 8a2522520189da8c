import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { IntrospectController } from './introspect.controller';
import { TokenIntrospectionService } from './token-introspection.service';

@Module({
  imports: [KeysModule, ClientsModule],
  controllers: [IntrospectController],
  providers: [TokenIntrospectionService],
})
export class IntrospectModule {}
