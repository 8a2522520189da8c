import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { KeyRegistry } from '../keys/key-registry';
import { TOKEN_EXCHANGE_GRANT } from '../exchange/token-types';

class AuthorizationServerMetadata {
  @ApiProperty() issuer!: string;
  @ApiProperty() jwks_uri!: string;
  @ApiProperty() token_endpoint!: string;
  @ApiProperty({ type: [String] }) grant_types_supported!: string[];
  @ApiProperty({ type: [String] }) token_endpoint_auth_methods_supported!: string[];
  @ApiProperty() introspection_endpoint!: string;
  @ApiProperty({ type: [String] }) introspection_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String], description: 'Always empty: there is no authorization endpoint' })
  response_types_supported!: string[];
  @ApiProperty({ type: [String], description: 'Algorithms our keysets sign access tokens with' })
  access_token_signing_alg_values_supported!: string[];
}

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];

@ApiTags('metadata')
@Controller()
export class MetadataController {
  constructor(
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    private readonly keysets: KeyRegistry,
  ) {}

  @Get('.well-known/oauth-authorization-server')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'RFC 8414 authorization server metadata' })
  @ApiOkResponse({ type: AuthorizationServerMetadata })
  authorizationServerMetadata(): AuthorizationServerMetadata {
    const issuer = this.config.issuer;
    return {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/exchange`,
      grant_types_supported: [TOKEN_EXCHANGE_GRANT],
      token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      introspection_endpoint: `${issuer}/introspect`,
      introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      response_types_supported: [],
      access_token_signing_alg_values_supported: [
        ...new Set(this.keysets.list().flatMap((set) => set.keys.map((k) => k.alg))),
      ].sort(),
    };
  }
}
