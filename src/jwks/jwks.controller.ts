import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrorResponse } from '../openapi/error-responses';
import { JwksResponse } from '../openapi/schemas';
import { JWKS_MAX_AGE_SECONDS, JwksService, matchesEtag, type JwksDocument } from './jwks.service';

@ApiTags('jwks')
@Controller()
export class JwksController {
  constructor(private readonly jwks: JwksService) {}

  @Get('.well-known/jwks.json')
  @ApiOperation({
    summary: 'Public keys of every asymmetric keyset (current, pre-published and retained)',
  })
  @ApiOkResponse({ type: JwksResponse })
  async wellKnownJwks(
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    send(reply, await this.jwks.document(), ifNoneMatch);
  }

  @Get('jwks')
  @ApiOperation({ summary: 'Same document as /.well-known/jwks.json' })
  @ApiOkResponse({ type: JwksResponse })
  async allJwks(
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    send(reply, await this.jwks.document(), ifNoneMatch);
  }

  @Get('jwks/:keyset')
  @ApiOperation({ summary: "One keyset's public JWKS" })
  @ApiParam({ name: 'keyset', example: 'default' })
  @ApiOkResponse({ type: JwksResponse })
  @ApiErrorResponse('ERR_NOT_FOUND', 'keyset "edge" not found', 'Unknown keyset')
  async keysetJwks(
    @Param('keyset') keyset: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    send(reply, await this.jwks.document(keyset), ifNoneMatch);
  }
}

function send(reply: FastifyReply, doc: JwksDocument, ifNoneMatch: string | undefined): void {
  void reply
    .header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
    .header('etag', doc.etag);
  if (matchesEtag(ifNoneMatch, doc.etag)) {
    void reply.status(304).send();
    return;
  }
  void reply.status(200).type('application/json').send(doc.body);
}
