import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrorResponse } from '../openapi/error-responses';
import { ApiAuth } from '../openapi/security';
import { MetricsService } from './metrics.service';
import { MetricsTokenGuard } from './metrics-token.guard';

@ApiTags('operations')
@Controller()
export class MetricsController {
  constructor(private readonly registry: MetricsService) {}

  @Get('metrics')
  @UseGuards(MetricsTokenGuard)
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Requires `Authorization: Bearer $STS_METRICS_TOKEN` when that variable is set; open otherwise.',
  })
  @ApiAuth('metrics', { optional: true })
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string' } })
  @ApiErrorResponse(
    'ERR_UNAUTHORIZED',
    'a bearer token is required',
    'STS_METRICS_TOKEN is set and the request lacks it',
  )
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.registry.render();
    void reply
      .header('content-type', this.registry.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  }
}
