import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ClientConfig, ConsumerConfig, KeysetConfig, SignerConfig } from '../config/file.schema';

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
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Parameters as given (defaults not filled in), secrets as "[REDACTED]"',
  })
  profiles!: Record<string, unknown>[];
  @ApiProperty({ type: [ConsumerConfig], description: 'HMAC secrets as "[REDACTED]"' })
  consumers!: ConsumerConfig[];
  @ApiProperty({ type: [ClientConfig], description: 'client_secret as "[REDACTED]"' })
  clients!: ClientConfig[];
}

export class RekeyResult {
  @ApiProperty({
    description:
      'Sealed values (private keys, JWT credential secrets, profile credentials) re-encrypted by this call',
  })
  rekeyed!: number;
  @ApiProperty({ description: 'Sealed values stored' }) total!: number;
  @ApiProperty({ description: 'Id of the master key (the first of STS_MASTER_KEY) now used' })
  master_key_id!: string;
}
