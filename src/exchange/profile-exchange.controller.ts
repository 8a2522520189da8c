import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validatedBody } from '../common/validated-body';
import { annotateRequest } from '../common/request-annotations';
import type { TokenRequest } from '../verification/types';
import { ApiErrorResponse, ApiTokenEndpoint } from '../openapi/error-responses';
import { ExchangeRequestDto } from './exchange-request.dto';
import {
  ProfileExchangeService,
  type ExchangeResult,
  type UpstreamRequest,
} from '../upstream/profile-exchange.service';

class ExchangeResponse {
  @ApiPropertyOptional() access_token?: string;
  @ApiPropertyOptional() channel_token?: string;
  @ApiPropertyOptional({ description: 'Seconds until the re-signed access token expires' })
  expires_in?: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { Authorization: 'Bearer eyJ…', 'X-Consumer-ID': '…', 'X-Consumer-Username': 'alice' },
  })
  headers!: Record<string, string>;
}

const isJson = (request: FastifyRequest): boolean =>
  /^application\/([\w.+-]+\+)?json/i.test(request.headers['content-type'] ?? '');

/** Tokens and upstream details from either body form: JSON (`{access_token, request}`) or the raw upstream body. */
function readExchangeRequest(request: FastifyRequest): {
  tokens: TokenRequest;
  upstream: UpstreamRequest;
} {
  const tokens: TokenRequest = {
    headers: request.headers,
    rawHeaders: request.raw.rawHeaders,
    query: request.query as Record<string, string | string[] | undefined>,
  };
  if (isJson(request)) {
    const body = validatedBody(ExchangeRequestDto, request.body ?? {});
    tokens.body = { access_token: body.access_token, channel_token: body.channel_token };
    return {
      tokens,
      upstream: {
        method: body.request?.method,
        uri: body.request?.uri,
        bodySha256: body.request?.body_sha256,
      },
    };
  }
  const raw = (request as FastifyRequest & { rawBody?: Buffer }).rawBody ?? request.body;
  return { tokens, upstream: { rawBody: Buffer.isBuffer(raw) ? raw : undefined } };
}

@ApiTags('exchange')
@Controller('exchange')
export class ProfileExchangeController {
  constructor(private readonly exchange: ProfileExchangeService) {}

  @Post(':profile')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Verify and re-sign the request tokens (Kong JWT Signer semantics)',
    description:
      'Tokens come from the headers/query/cookies the profile names, or from a JSON body `{access_token, channel_token, request: {method, uri, body_sha256}}`. Any non-JSON body is taken as the upstream request body itself (Optum `payloadhash`). `headers` is the complete set of upstream headers to apply.',
  })
  @ApiParam({ name: 'profile', example: 'api' })
  @ApiTokenEndpoint()
  @ApiBody({ type: ExchangeRequestDto, required: false })
  @ApiOkResponse({ type: ExchangeResponse })
  @ApiErrorResponse(
    'ERR_INVALID_REQUEST',
    'access_token: access_token must be a string',
    'A JSON body of the wrong shape',
  )
  exchangeProfile(
    @Param('profile') profile: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ExchangeResult> {
    return exchangeAnswer(this.exchange, profile, request, reply);
  }
}

/** The answer of `POST /exchange/{profile}`, for the controller and its lean route alike. */
export async function exchangeAnswer(
  exchange: ProfileExchangeService,
  profile: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<ExchangeResult> {
  annotateRequest(request, { profile });
  const { tokens, upstream } = readExchangeRequest(request);
  const result = await exchange.exchange(profile, tokens, upstream);
  annotateRequest(request, { outcome: 'OK' });
  void reply.header('cache-control', 'no-store');
  return result;
}
