import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, NotEquals } from 'class-validator';
import { SECRET_PLACEHOLDER } from '../config/file.schema';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../config/algorithms';
import { PageOf } from './pagination';

/** Kong's `PATCH /consumers/{username_or_id}`: absent members stay. */
export class ConsumerUpdateRequest {
  @ApiPropertyOptional({ example: 'alice' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  username?: string;

  @ApiPropertyOptional({ example: 'A-1' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  custom_id?: string;
}

/** Kong's `POST /consumers`: a username or a custom_id (or both). */
export class ConsumerCreateRequest extends ConsumerUpdateRequest {
  @ApiPropertyOptional({ format: 'uuid', description: 'Generated when absent' })
  @IsOptional()
  @IsUUID()
  id?: string;
}

export class ConsumerView {
  @ApiProperty({ format: 'uuid', description: 'X-Consumer-ID' }) id!: string;
  @ApiProperty({ type: String, nullable: true, description: 'X-Consumer-Username' })
  username!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'X-Consumer-Custom-ID' })
  custom_id!: string | null;
  @ApiProperty({
    enum: ['file', 'api'],
    description: 'file: declared in STS_CONFIG, changed there',
  })
  managed_by!: 'file' | 'api';
}

export class ConsumerPage extends PageOf(ConsumerView) {}

/** Kong JWT's `PATCH /consumers/{consumer}/jwt/{key_or_id}`: absent members stay. */
export class JwtCredentialUpdateRequest {
  @ApiPropertyOptional({ enum: SIGNING_ALGORITHMS, default: 'HS256' })
  @IsOptional()
  @IsIn(SIGNING_ALGORITHMS)
  algorithm?: SigningAlgorithm;

  @ApiPropertyOptional({
    description: 'HMAC secret (HS*); stored encrypted and never shown again',
  })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  @NotEquals(SECRET_PLACEHOLDER)
  secret?: string;

  @ApiPropertyOptional({ description: 'PEM public key (RS*, PS*, ES*, EdDSA)' })
  @IsOptional()
  @IsString()
  @Length(1, 16384)
  rsa_public_key?: string;
}

/** Kong JWT's `POST /consumers/{consumer}/jwt`. */
export class JwtCredentialCreateRequest extends JwtCredentialUpdateRequest {
  @ApiPropertyOptional({
    example: 'alice-key',
    description:
      "The value tokens carry in the profile's key_claim_name (iss); generated when absent",
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  key?: string;
}

class ConsumerReference {
  @ApiProperty({ format: 'uuid' }) id!: string;
}

/** Kong's credential shape without `secret`: no answer carries it. */
export class JwtCredentialView {
  @ApiProperty({ format: 'uuid', description: 'X-Credential-Identifier' }) id!: string;
  @ApiProperty({ example: 'alice-key' }) key!: string;
  @ApiProperty({ enum: SIGNING_ALGORITHMS }) algorithm!: SigningAlgorithm;
  @ApiProperty({ type: String, nullable: true }) rsa_public_key!: string | null;
  @ApiProperty({ type: ConsumerReference }) consumer!: ConsumerReference;
  @ApiProperty({
    enum: ['file', 'api'],
    description: 'file: declared in STS_CONFIG, changed there',
  })
  managed_by!: 'file' | 'api';
}

export class JwtCredentialPage extends PageOf(JwtCredentialView) {}
