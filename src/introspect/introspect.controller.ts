import { Body, Controller, Headers, HttpCode, Post, UseGuards, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Errors } from '../common/errors';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { FormBodyGuard } from '../common/body-type.guards';
import { RateLimited } from '../limits/rate-limit';
import { ApiErrorResponse, ApiOAuthEndpoint } from '../openapi/error-responses';
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
    description:
      'Active, with the token’s claims, only when it is signed by a key this service still holds (current, pre-published or retained) and has not expired; anything else is exactly `{"active": false}`. Form parameters only (any other body type is 415). Client authentication as on /exchange: HTTP Basic (client_secret_basic) or `client_id` and `client_secret` form fields (client_secret_post). `Cache-Control: no-store`.',
  })
  @UseGuards(FormBodyGuard)
  @ApiOAuthEndpoint()
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
  @ApiErrorResponse('ERR_INVALID_REQUEST', 'token is required', 'No token parameter')
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
