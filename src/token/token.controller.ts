import { Body, Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { JsonBodyGuard } from '../common/body-type.guards';
import { annotateRequest } from '../common/request-annotations';
import { ApiErrorResponse } from '../openapi/error-responses';
import { KrakendSignerService, type JsonObject } from '../signing/krakend-signer.service';

const EXAMPLE = {
  access_token: {
    aud: 'http://api.example.com',
    iss: 'https://myapp.example.com',
    sub: '1234567890qwertyuio',
    exp: 1735689600,
  },
  refresh_token: { aud: 'http://api.example.com', sub: '1234567890qwertyuio', exp: 1735689600 },
  exp: 1735689600,
};

@ApiTags('token')
@Controller('token')
export class TokenController {
  constructor(private readonly signer: KrakendSignerService) {}

  @Post(':signer')
  @HttpCode(200)
  @UseGuards(JsonBodyGuard)
  @ApiOperation({
    summary: 'KrakenD signer: replace each key listed in keys_to_sign by a JWS of its object',
    description:
      'Keys not listed pass through unchanged; a listed key that is absent stays absent. With `full: true` the value is the flattened JWS JSON serialization as a string, as KrakenD returns it. With a `backend`, the body is posted there and its JSON answer is signed.',
  })
  @ApiParam({ name: 'signer', example: 'krakend' })
  @ApiBody({ schema: { type: 'object', additionalProperties: true, example: EXAMPLE } })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  @ApiErrorResponse('ERR_INVALID_REQUEST', 'request body must be a JSON object', 'Invalid body')
  @ApiErrorResponse('ERR_NOT_FOUND', 'signer "krakend" not found', 'Unknown signer')
  @ApiErrorResponse(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    'content type not supported here; send application/json',
    'Not JSON',
  )
  sign(
    @Param('signer') signer: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<JsonObject> {
    annotateRequest(request, { profile: signer });
    return this.signer.sign(signer, body);
  }
}
