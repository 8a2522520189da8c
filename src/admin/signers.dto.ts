import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { NAME_PATTERN, SignerConfig, SignerOptions } from '../config/file.schema';
import { PageOf } from './pagination';

/** `PUT /admin/signers/{name}`: the whole signer; a name in the body must be the path's. */
export class SignerReplacement extends SignerOptions {
  @ApiPropertyOptional({ description: 'Optional; must equal the name in the path' })
  @IsOptional()
  @Matches(NAME_PATTERN)
  name?: string;
}

export class SignerView extends SignerConfig {
  @ApiProperty({
    enum: ['file', 'api'],
    description: 'file: declared in STS_CONFIG, changed there',
  })
  managed_by!: 'file' | 'api';
  @ApiPropertyOptional({
    description: 'Why the signer cannot sign right now (e.g. its jwk_url does not load)',
  })
  unavailable?: string;
}

export class SignerPage extends PageOf(SignerView) {}
