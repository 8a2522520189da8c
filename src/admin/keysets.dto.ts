import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, ValidateNested } from 'class-validator';
import { IsDuration } from '../config/duration';
import { RotationConfig } from '../config/file.schema';
import { SIGNING_ALGORITHMS } from '../config/algorithms';
import { PublicJwk } from '../openapi/schemas';
import { PageOf } from './pagination';

/** `PATCH /admin/keysets/{name}`: absent members stay, `null` restores the default. */
export class KeysetUpdateRequest {
  @ApiPropertyOptional({ enum: [2048, 3072, 4096], nullable: true })
  @IsOptional()
  @IsIn([2048, 3072, 4096])
  rsa_bits?: number | null;

  @ApiPropertyOptional({ type: RotationConfig })
  @IsOptional()
  @ValidateNested()
  @Type(() => RotationConfig)
  rotation?: RotationConfig;
}

export class RotateQuery {
  @ApiPropertyOptional({
    example: '1h',
    description:
      'Publish the next key now and let it sign after this long (a duration); immediate when absent',
  })
  @IsOptional()
  @IsDuration()
  prepublish?: string;
}

/** Rotation settings with durations in their canonical spelling, as the file writes them. */
export class RotationView {
  @ApiPropertyOptional({ example: '30d', description: 'Absent: manual rotation only' })
  period?: string;
  @ApiProperty({ example: '1h' }) prepublish!: string;
  @ApiProperty({ example: 1 }) retain!: number;
  @ApiProperty({ example: '1h' }) max_token_lifetime!: string;
}

export class KeyView {
  @ApiProperty({ description: 'RFC 7638 thumbprint' }) kid!: string;
  @ApiProperty({ example: 'ES256' }) alg!: string;
  @ApiProperty({
    enum: ['current', 'next', 'previous'],
    description: 'current signs; next is pre-published; previous is retired but still published',
  })
  status!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'current: signs since; next: signs from',
  })
  active_from!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) retired_at!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'previous keys: published at least until then (max_token_lifetime + 60 s after retirement), longer while within retain',
  })
  retained_until!: string | null;
  @ApiPropertyOptional({ type: PublicJwk, description: 'Public members only; absent for HMAC' })
  jwk?: PublicJwk;
}

export class KeysetView {
  @ApiProperty({ example: 'edge' }) name!: string;
  @ApiPropertyOptional({ enum: SIGNING_ALGORITHMS }) algorithm?: string;
  @ApiProperty({
    enum: ['file', 'api'],
    description: 'file: declared in STS_CONFIG, changed there (rotation still allowed)',
  })
  managed_by!: 'file' | 'api';
  @ApiPropertyOptional({ type: Number, nullable: true }) rsa_bits?: number | null;
  @ApiPropertyOptional({ type: RotationView }) rotation?: RotationView;
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the next key starts signing (pending or by period)',
  })
  next_rotation_at?: string | null;
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'When the configuration file stopped declaring it: no key signs, all stay published until their tokens have expired, then the keyset goes',
  })
  retired_at?: string | null;
  @ApiPropertyOptional({ description: 'Externally managed private JWKS' }) jwks_url?: string;
  @ApiPropertyOptional({ example: '15m' }) refresh?: string;
  @ApiProperty({ type: [KeyView] }) keys!: KeyView[];
}

export class KeysetPage extends PageOf(KeysetView) {}
