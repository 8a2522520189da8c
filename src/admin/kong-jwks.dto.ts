import { ApiProperty } from '@nestjs/swagger';
import { PublicJwk } from '../openapi/schemas';
import { PageOf } from './pagination';

/** Kong JWT Signer's answer for one key set: `GET` and `POST …/rotate` on `/jwt-signer/jwks/{id}`. */
export class KongJwksKeys {
  @ApiProperty({
    type: [PublicJwk],
    description: 'Keys that sign or are pre-published to sign next (public members only)',
  })
  keys!: PublicJwk[];
  @ApiProperty({
    type: [PublicJwk],
    description: 'Retired keys still published for tokens they signed (public members only)',
  })
  previous!: PublicJwk[];
}

/** A key set as Kong lists it (`GET /jwt-signer/jwks`). */
export class KongJwks extends KongJwksKeys {
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'null for key sets loaded from a jwks_url',
  })
  id!: string | null;
  @ApiProperty({ example: 'edge' }) name!: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 1767225600,
    description: 'Unix seconds; null for key sets loaded from a jwks_url',
  })
  created_at!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 1767225600,
    description: 'Unix seconds: when its newest key was made (or loaded)',
  })
  updated_at!: number | null;
}

export class KongJwksPage extends PageOf(KongJwks) {}
