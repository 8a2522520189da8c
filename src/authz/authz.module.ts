import { Module } from '@nestjs/common';
import { UpstreamModule } from '../upstream/upstream.module';
import { ForwardAuthService } from './forward-auth.service';

@Module({
  imports: [UpstreamModule],
  providers: [ForwardAuthService],
  exports: [ForwardAuthService],
})
export class AuthzModule {}
