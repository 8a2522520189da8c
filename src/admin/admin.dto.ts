import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { KeysetConfig, SignerConfig } from '../config/file.schema';

export class ConfigExportQuery {
  @ApiPropertyOptional({ enum: ['json', 'yaml'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'yaml'])
  format?: 'json' | 'yaml';
}

export class ConfigExport {
  @ApiProperty({ example: 'https://sts.example.com' }) issuer!: string;
  @ApiProperty({ type: [KeysetConfig] }) keysets!: KeysetConfig[];
  @ApiProperty({ type: [SignerConfig] }) signers!: SignerConfig[];
}

export class RekeyResult {
  @ApiProperty({ description: 'Private keys re-encrypted by this call' }) rekeyed!: number;
  @ApiProperty({ description: 'Private keys stored' }) total!: number;
  @ApiProperty({ description: 'Id of the master key (the first of STS_MASTER_KEY) now used' })
  master_key_id!: string;
}
