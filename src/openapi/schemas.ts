import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorResponse {
  @ApiProperty({ example: 'invalid_request' }) error!: string;
  @ApiProperty({ example: 'request body must be a JSON object' }) error_description!: string;
  @ApiProperty({ example: 'ERR_INVALID_REQUEST', description: 'Stable error code' }) code!: string;
}

export class PublicJwk {
  @ApiProperty({ enum: ['RSA', 'EC', 'OKP'] }) kty!: string;
  @ApiProperty({ description: 'RFC 7638 thumbprint' }) kid!: string;
  @ApiProperty({ example: 'RS256' }) alg!: string;
  @ApiProperty({ example: 'sig' }) use!: string;
  @ApiPropertyOptional() n?: string;
  @ApiPropertyOptional() e?: string;
  @ApiPropertyOptional() crv?: string;
  @ApiPropertyOptional() x?: string;
  @ApiPropertyOptional() y?: string;
}

export class JwksResponse {
  @ApiProperty({ type: [PublicJwk] }) keys!: PublicJwk[];
}

export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'], example: 'ok' }) status!: string;
  @ApiPropertyOptional({
    description: 'Indicators that are up',
    example: { database: { status: 'up', keysets: 1 }, keys: { status: 'up', keysets: 1 } },
  })
  info?: Record<string, unknown>;
  @ApiPropertyOptional({
    description: 'Indicators that are down, with a message',
    example: { database: { status: 'down', message: 'database query failed' } },
  })
  error?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Every indicator' }) details?: Record<string, unknown>;
}
