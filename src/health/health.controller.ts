import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DEFAULT_KEYSET, KeyRegistry } from '../keys/key-registry';
import { HealthResponse } from '../openapi/schemas';
import { DatabaseProbe } from './database.probe';
import { ReadinessProbes } from '../common/readiness-probes';

/** A probe that takes longer than this counts as down: a hung database is not a ready one. */
const PROBE_TIMEOUT_MS = 2000;

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: DatabaseProbe,
    private readonly keysets: KeyRegistry,
    private readonly probes: ReadinessProbes,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP' })
  @ApiOkResponse({ type: HealthResponse })
  async live(@Res() reply: FastifyReply): Promise<void> {
    await this.answer(reply, []);
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: database reachable, keys loaded, and every registered probe up',
  })
  @ApiOkResponse({ type: HealthResponse })
  @ApiServiceUnavailableResponse({ type: HealthResponse })
  async ready(@Res() reply: FastifyReply): Promise<void> {
    await this.answer(reply, [
      () =>
        this.indicators
          .check('database')
          .attempt(() => this.database.check())
          .withTimeout(PROBE_TIMEOUT_MS),
      () => {
        const session = this.indicators.check('keys');
        return this.keysets.has(DEFAULT_KEYSET)
          ? session.up({ keysets: this.keysets.list().length })
          : session.down({ message: `keyset "${DEFAULT_KEYSET}" is not loaded` });
      },
      ...this.probes.entries().map(
        ([name, probe]) =>
          () =>
            this.indicators.check(name).attempt(probe).withTimeout(PROBE_TIMEOUT_MS),
      ),
    ]);
  }

  /** Terminus's JSON either way: 200 when up, 503 with the failing indicators when not. */
  private async answer(
    reply: FastifyReply,
    checks: Parameters<HealthCheckService['check']>[0],
  ): Promise<void> {
    void reply.header('cache-control', 'no-store');
    try {
      void reply.status(200).send(await this.health.check(checks));
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      void reply.status(503).send(err.getResponse());
    }
  }
}
