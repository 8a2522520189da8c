import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsOptional, IsString, Matches, MinLength, NotEquals } from 'class-validator';
import { NAME_PATTERN, SECRET_PLACEHOLDER } from '../config/file.schema';
import { PageOf } from './pagination';

/** RFC 3986 unreserved characters: safe in paths, form bodies and Basic credentials alike. */
const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

/** What a client may ask for. */
class ClientGrants {
  @ApiPropertyOptional({
    type: [String],
    example: ['https://orders.example.com'],
    description: 'Audiences and resources it may request',
  })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  audiences?: string[];

  @ApiPropertyOptional({ type: [String], example: ['orders:read'] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  scopes?: string[];
}

export class ClientUpdateRequest extends ClientGrants {
  @ApiPropertyOptional({ example: 'api', description: 'Profile that verifies its subject tokens' })
  @IsOptional()
  @Matches(NAME_PATTERN)
  profile?: string;
}

export class ClientCreateRequest extends ClientGrants {
  @ApiPropertyOptional({
    example: 'orders-service',
    pattern: CLIENT_ID_PATTERN.source,
    description: 'Generated when absent',
  })
  @IsOptional()
  @Matches(CLIENT_ID_PATTERN)
  client_id?: string;

  @ApiPropertyOptional({
    description: 'Generated (32 random bytes, base64url) when absent; stored only as a hash',
  })
  @IsOptional()
  @IsString()
  @MinLength(16)
  @NotEquals(SECRET_PLACEHOLDER)
  client_secret?: string;

  @ApiProperty({ example: 'api', description: 'Profile that verifies its subject tokens' })
  @Matches(NAME_PATTERN)
  profile!: string;
}

export class ClientView {
  @ApiProperty({ example: 'orders-service' }) client_id!: string;
  @ApiProperty({ example: 'api' }) profile!: string;
  @ApiProperty({ type: [String] }) audiences!: string[];
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({
    enum: ['file', 'api'],
    description: 'file: declared in STS_CONFIG, changed there',
  })
  managed_by!: 'file' | 'api';
}

/** The only answers that ever carry a client secret: creation and a new secret. */
export class ClientWithSecret extends ClientView {
  @ApiProperty({ description: 'Shown once; only its hash is stored' }) client_secret!: string;
}

export class ClientPage extends PageOf(ClientView) {}
