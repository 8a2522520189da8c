import { Body, Controller, Headers, HttpCode, Post, UseGuards, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { FormBodyGuard } from '../common/body-type.guards';
import { RateLimited } from '../limits/rate-limit';
import { annotateRequest } from '../common/request-annotations';
import { ApiErrorResponse, ApiOAuthEndpoint } from '../openapi/error-responses';
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
  @ApiOperation({
    summary: 'RFC 8693 token exchange (client-authenticated, form-encoded)',
    description:
      'A client of the `clients` section exchanges a subject token, verified by the client’s profile, for an RFC 9068 `at+jwt` signed by this service: `audience`/`resource` within the client’s audiences, `scope` narrowing only, `actor_token` into `act`. Form parameters only (any other body type is 415). Client authentication: HTTP Basic (client_secret_basic) or `client_id` and `client_secret` form fields (client_secret_post). Answers as RFC 8693 §2.2, errors as RFC 6749 §5.2, both with `Cache-Control: no-store`.',
  })
  @UseGuards(FormBodyGuard)
  @ApiOAuthEndpoint()
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
  @ApiErrorResponse(
    'ERR_INVALID_REQUEST',
    'grant_type is required',
    'invalid_request, invalid_grant, invalid_scope, invalid_target, unauthorized_client or unsupported_grant_type (RFC 6749 §5.2, RFC 8693 §2.2.2)',
  )
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
