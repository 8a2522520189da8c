import { Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { AdminController } from './admin-controller.decorator';
import { KongJwksKeys, KongJwksPage, type KongJwks } from './kong-jwks.dto';
import { KongJwksService } from './kong-jwks.service';
import { paginate, PageQuery, type Page } from './pagination';

const KEYSET = {
  name: 'keyset',
  example: 'edge',
  description: 'The keyset name, or its id as `GET /jwt-signer/jwks` lists it',
};

/** Kong JWT Signer's `/jwt-signer/jwks` admin paths, as aliases of the keyset admin API. */
@AdminController('jwks', '/jwt-signer')
export class KongJwksController {
  constructor(private readonly jwks: KongJwksService) {}

  @Get()
  @ApiOperation({
    summary: "Kong's GET /jwt-signer/jwks: every keyset with its public keys",
    description: 'Same data as GET /admin/keysets, in Kong JWT Signer’s shape.',
  })
  @ApiOkResponse({ type: KongJwksPage })
  listKongJwks(@Query() query: PageQuery): Page<KongJwks> {
    return paginate(this.jwks.list(), query, '/jwt-signer/jwks');
  }

  @Get(':keyset')
  @ApiOperation({ summary: "Kong's GET /jwt-signer/jwks/{id}: one keyset's public keys" })
  @ApiParam(KEYSET)
  @ApiOkResponse({ type: KongJwksKeys })
  getKongJwks(@Param('keyset') keyset: string): KongJwksKeys {
    return this.jwks.get(keyset);
  }

  @Post(':keyset/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: "Kong's POST /jwt-signer/jwks/{id}/rotate: rotate now",
    description:
      'A new key signs at once; the current key moves to previous and stays published (as POST /admin/keysets/{name}/rotate without prepublish).',
  })
  @ApiParam(KEYSET)
  @ApiOkResponse({ type: KongJwksKeys })
  rotateKongJwks(@Param('keyset') keyset: string): Promise<KongJwksKeys> {
    return this.jwks.rotate(keyset);
  }
}
