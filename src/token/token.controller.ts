import { Body, Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { JsonBodyGuard } from '../common/json-body.guard';
import { annotateRequest } from '../common/request-annotations';
import { ErrorResponse } from '../openapi/schemas';
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
  @ApiBadRequestResponse({ type: ErrorResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiUnsupportedMediaTypeResponse({ type: ErrorResponse })
  sign(
    @Param('signer') signer: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<JsonObject> {
    annotateRequest(request, { profile: signer });
    return this.signer.sign(signer, body);
  }
}
