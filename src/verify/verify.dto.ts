import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { VerificationResult, VerifiedToken } from '../verification/types';

export class VerifyRequest {
  @ApiPropertyOptional({ description: 'Access token, instead of (or equal to) the request header' })
  access_token?: string;
  @ApiPropertyOptional({
    description: 'Channel token, instead of (or equal to) the request header',
  })
  channel_token?: string;
}

export class VerifiedTokenView {
  @ApiProperty({ enum: ['jwt', 'opaque'] }) kind!: 'jwt' | 'opaque';
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { alg: 'RS256', kid: 'idp-key-1', typ: 'JWT' },
  })
  header?: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { iss: 'https://idp.example.com', sub: 'alice', scope: 'read', exp: 1767229200 },
  })
  claims!: Record<string, unknown>;
  @ApiProperty({ example: 'header:authorization' }) source!: string;
  @ApiProperty({ description: 'true when the claims come from RFC 7662 introspection' })
  introspected!: boolean;
}

export class ConsumerView {
  @ApiProperty() id!: string;
  @ApiPropertyOptional() username?: string;
  @ApiPropertyOptional() custom_id?: string;
  @ApiPropertyOptional({ description: 'Kong JWT credential key that verified the token' })
  credential?: string;
  @ApiProperty({ description: 'true when the anonymous consumer stands in' })
  anonymous!: boolean;
}

export class VerifyResponse {
  @ApiProperty({ enum: [true] }) active!: true;
  @ApiPropertyOptional({ type: VerifiedTokenView }) access_token?: VerifiedTokenView;
  @ApiPropertyOptional({ type: VerifiedTokenView }) channel_token?: VerifiedTokenView;
  @ApiPropertyOptional({ type: ConsumerView }) consumer?: ConsumerView;
}

/** The token itself never goes back out: only what was learnt from it. */
function view(token: VerifiedToken): VerifiedTokenView {
  return {
    kind: token.kind,
    ...(token.header ? { header: { ...token.header } } : {}),
    claims: token.claims,
    source: token.source,
    introspected: token.introspected,
  };
}

export function toVerifyResponse(result: VerificationResult): VerifyResponse {
  return {
    active: true,
    ...(result.access_token ? { access_token: view(result.access_token) } : {}),
    ...(result.channel_token ? { channel_token: view(result.channel_token) } : {}),
    ...(result.consumer ? { consumer: result.consumer } : {}),
  };
}
