import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { IdentityProviders } from '../verification/identity-providers';
import { AdminController } from './admin-controller.decorator';
import { identityProvidersView, IdentityProvidersView } from './identity-providers.dto';

@AdminController('identity-providers')
export class IdentityProvidersController {
  constructor(private readonly providers: IdentityProviders) {}

  @Get()
  @ApiOperation({
    summary: 'The identity providers the profiles verify with, and what is cached from them',
    description:
      'Per JWKS URL: the profiles using it, the keys held (kid, kty, alg), the last fetch and its result, the next refresh and failures by kind. Per introspection endpoint: the profiles, the cached results, the last call and failures by kind.',
  })
  @ApiOkResponse({ type: IdentityProvidersView })
  listIdentityProviders(): IdentityProvidersView {
    return identityProvidersView(this.providers.describe());
  }
}
