import { Body, Controller, Headers, HttpCode, Post, UseGuards, Req, Res } from '@nestjs/common';
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
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { FormBodyGuard } from '../common/body-type.guards';
import { RateLimited } from '../limits/rate-limit';
import { annotateRequest } from '../common/request-annotations';
import { ErrorResponse } from '../openapi/schemas';
import { TokenExchangeService, type TokenExchangeResponse } from './token-exchange.service';
import { TOKEN_EXCHANGE_GRANT, TOKEN_TYPES } from './token-types';

@ApiTags('oauth')
@RateLimited()
@Controller('exchange')
export class TokenExchangeController {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly exchanges: TokenExchangeService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'RFC 8693 token exchange (client-authenticated, form-encoded)' })
  @UseGuards(FormBodyGuard)
  @ApiBasicAuth()
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['grant_type', 'subject_token', 'subject_token_type'],
      properties: {
        grant_type: { type: 'string', enum: [TOKEN_EXCHANGE_GRANT] },
        subject_token: { type: 'string' },
        subject_token_type: { type: 'string', example: TOKEN_TYPES.access_token },
        actor_token: { type: 'string' },
        actor_token_type: { type: 'string' },
        requested_token_type: { type: 'string' },
        audience: { type: 'string' },
        resource: { type: 'string' },
        scope: { type: 'string' },
        client_id: { type: 'string' },
        client_secret: { type: 'string' },
      },
    },
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        access_token: { type: 'string' },
        issued_token_type: { type: 'string' },
        token_type: { type: 'string', example: 'Bearer' },
        expires_in: { type: 'integer' },
        scope: { type: 'string' },
      },
    },
  })
  @ApiBadRequestResponse({ type: ErrorResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse })
  @ApiUnsupportedMediaTypeResponse({ type: ErrorResponse })
  async tokenExchange(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenExchangeResponse> {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const form = this.clients.formOf(body);
    const client = await this.clients.authenticate(authorization, form);
    // The client's profile verifies the subject token: that is the profile of this request.
    annotateRequest(request, { profile: client.profile });
    const response = await this.exchanges.exchange(client, form);
    annotateRequest(request, { outcome: 'OK' });
    return response;
  }
}
