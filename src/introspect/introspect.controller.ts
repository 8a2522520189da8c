import { Body, Controller, Headers, HttpCode, Post, UseGuards, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Errors } from '../common/errors';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { FormBodyGuard } from '../common/body-type.guards';
import { RateLimited } from '../limits/rate-limit';
import { ErrorResponse } from '../openapi/schemas';
import {
  TokenIntrospectionService,
  type IntrospectionResponse,
} from './token-introspection.service';

@ApiTags('oauth')
@RateLimited()
@Controller('introspect')
export class IntrospectController {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly introspection: TokenIntrospectionService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'RFC 7662 introspection of tokens this service issued (client-authenticated)',
  })
  @UseGuards(FormBodyGuard)
  @ApiBasicAuth()
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['token'],
      properties: {
        token: { type: 'string' },
        token_type_hint: { type: 'string' },
        client_id: { type: 'string' },
        client_secret: { type: 'string' },
      },
    },
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { active: { type: 'boolean' } },
      additionalProperties: true,
    },
  })
  @ApiBadRequestResponse({ type: ErrorResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse })
  @ApiUnsupportedMediaTypeResponse({ type: ErrorResponse })
  async introspect(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IntrospectionResponse> {
    const form = this.clients.formOf(body);
    await this.clients.authenticate(authorization, form);
    void reply.header('cache-control', 'no-store');
    if (typeof form.token !== 'string' || form.token.length === 0) {
      throw Errors.invalidRequest('token is required');
    }
    return this.introspection.introspect(form.token);
  }
}
