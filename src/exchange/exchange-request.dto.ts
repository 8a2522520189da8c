import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';

export class UpstreamRequestDto {
  @ApiPropertyOptional({ example: 'POST' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  method?: string;
  @ApiPropertyOptional({ example: '/orders/42', description: "Optum mode's default `aud`" })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  uri?: string;
  @ApiPropertyOptional({
    description: 'Lowercase hex SHA-256 of the upstream body ("" for no body)',
  })
  @IsOptional()
  @Matches(/^([0-9a-f]{64})?$/, { message: 'body_sha256 must be lowercase hex SHA-256 or ""' })
  body_sha256?: string;
}

/** JSON body of `POST /exchange/{profile}`; every field optional (tokens may come in headers). */
export class ExchangeRequestDto {
  @ApiPropertyOptional() @IsOptional() @IsString() access_token?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() channel_token?: string;
  @ApiPropertyOptional({ type: UpstreamRequestDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => UpstreamRequestDto)
  request?: UpstreamRequestDto;
}
