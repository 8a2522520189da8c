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

class OpenIdConfiguration extends AuthorizationServerMetadata {
  @ApiProperty({
    type: [String],
    example: ['public'],
    description: 'Tokens keep their subject: every client sees the same `sub`',
  })
  subject_types_supported!: string[];
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

  /**
   * What libraries that find an issuer's keys from its URL read (Spring `issuer-uri`, ASP.NET
   * `Authority`, openid-client, express-oauth2-jwt-bearer): the RFC 8414 document plus the one
   * OpenID field that is true here. This service is no OpenID Provider (no login, no ID tokens),
   * so `authorization_endpoint` and `id_token_signing_alg_values_supported` are absent.
   */
  @Get('.well-known/openid-configuration')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Issuer discovery (OpenID Connect Discovery 1.0 location)',
    description:
      'The RFC 8414 document plus `subject_types_supported`, for libraries configured with the issuer URL alone. No `authorization_endpoint` or ID-token fields: there is no login and there are no ID tokens.',
  })
  @ApiOkResponse({ type: OpenIdConfiguration })
  openIdConfiguration(): OpenIdConfiguration {
    return { ...this.authorizationServerMetadata(), subject_types_supported: ['public'] };
  }
}
