import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ErrorResponse } from '../openapi/schemas';
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
  @ApiBearerAuth()
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ type: ErrorResponse })
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.registry.render();
    void reply
      .header('content-type', this.registry.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  }
}
