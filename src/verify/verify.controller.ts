import { Body, Controller, Header, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../common/errors';
import { JsonBodyGuard } from '../common/body-type.guards';
import { annotateRequest } from '../common/request-annotations';
import { VerificationService } from '../verification/verification.service';
import { ApiErrorResponse, ApiTokenEndpoint } from '../openapi/error-responses';
import { toVerifyResponse, VerifyRequest, VerifyResponse } from './verify.dto';

@ApiTags('verify')
@Controller('verify')
export class VerifyController {
  constructor(private readonly verification: VerificationService) {}

  @Post(':profile')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @UseGuards(JsonBodyGuard)
  @ApiOperation({
    summary: "Verify a request's access (and channel) token as the profile says",
    description:
      'Tokens are read from the headers the profile names (Authorization by default), the Kong JWT query parameters and cookies, or the JSON body. Two different tokens for one slot are rejected. Failures answer 401/403 with WWW-Authenticate, or 503 with Retry-After when the identity provider is down and nothing valid is cached.',
  })
  @ApiParam({ name: 'profile', example: 'api' })
  @ApiTokenEndpoint()
  @ApiBody({ type: VerifyRequest, required: false })
  @ApiOkResponse({ type: VerifyResponse })
  @ApiErrorResponse('ERR_INVALID_REQUEST', 'request body must be a JSON object', 'Invalid body')
  @ApiErrorResponse(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    'content type not supported here; send application/json',
    'A body that is not JSON',
  )
  verify(
    @Param('profile') profile: string,
    @Req() request: FastifyRequest,
    @Body() body: unknown,
  ): Promise<VerifyResponse> {
    return verifyAnswer(this.verification, profile, request, body);
  }
}

/** The answer of `POST /verify/{profile}`, for the controller and its lean route alike. */
export async function verifyAnswer(
  verification: VerificationService,
  profile: string,
  request: FastifyRequest,
  body: unknown,
): Promise<VerifyResponse> {
  annotateRequest(request, { profile });
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body)))
    throw Errors.invalidRequest('request body must be a JSON object');
  const result = await verification.verify(profile, {
    headers: request.headers,
    rawHeaders: request.raw.rawHeaders,
    query: request.query as Record<string, string | string[] | undefined>,
    body: (body as Record<string, unknown> | null | undefined) ?? undefined,
  });
  annotateRequest(request, { outcome: 'OK' });
  return toVerifyResponse(result);
}
