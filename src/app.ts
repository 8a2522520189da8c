import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule, type ExtraModule } from './app.module';
import { forwardAuthRoutes } from './authz/forward-auth.routes';
import { answerUnroutableUrl } from './authz/unroutable-url';
import { ForwardAuthService } from './authz/forward-auth.service';
import { systemClock, type Clock } from './common/clock';
import { OutboundHttp } from './common/outbound-http';
import { TRACING_OFF } from './common/tracing';
import { loadConfig, type Environment, type StsConfig } from './config/config';
import { installLeanRoutes } from './lean-routes';
import { installConnectionDraining } from './lifecycle/graceful-shutdown';
import { installBodyDepthLimit } from './limits/body-depth';
import { answerClientError } from './limits/client-errors';
import { installServerLimits, SERVER_LIMITS } from './limits/server-limits';
import { installAccessLog } from './logging/access-log';
import { createLogger, requestIdFor, type Logger } from './logging/logger';
import { PinoNestLogger } from './logging/nest-logger';
import { installHttpMetrics } from './metrics/http-metrics';
import { MetricsService } from './metrics/metrics.service';
import { setupSwagger } from './openapi/swagger';
import { installRequestSpans } from './tracing/request-spans';
import { startTracing } from './tracing/start-tracing';

export interface CreateAppOptions {
  /** Environment to read instead of `process.env` (tests pass their own). */
  env?: Environment;
  clock?: Clock;
  /** `false` silences every log line whatever `LOG_LEVEL` says. */
  logger?: false;
  /** Where JSON log lines go instead of stdout (tests capture them). */
  logStream?: DestinationStream;
  /** Extra trusted CAs for outbound calls (tests with local TLS servers). */
  outboundCa?: string[];
  /** Modules mounted beside the service's own (tests mount probe routes). */
  extraModules?: ExtraModule[];
}

export interface StsApp {
  app: NestFastifyApplication;
  config: StsConfig;
  /** The app's root logger; request logs are its children, with `reqId`. */
  logger: Logger;
}

/** Fastify's forms: a list is copied (the config is frozen), a hop count becomes its function. */
/** The one factory of the service: `main.ts` listens on it, e2e tests inject into it. */
export async function createApp(options: CreateAppOptions = {}): Promise<StsApp> {
  const config = loadConfig(options.env ?? process.env);
  const logger = createLogger({
    level: options.logger === false ? 'silent' : config.logLevel,
    stream: options.logStream,
  });
  const tracing = config.tracing ? await startTracing(config.tracing, logger) : undefined;
  const http = new OutboundHttp({
    allowInsecureHttp: config.allowInsecureHttp,
    ca: options.outboundCa,
    tracing,
  });
  const adapter = new FastifyAdapter({
    ...SERVER_LIMITS,
    trustProxy: [...config.trustedProxies],
    loggerInstance: logger,
    // Our access log writes the one line per request; Fastify's two would carry the raw URL.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: requestIdFor,
    requestIdHeader: false,
    frameworkErrors: answerUnroutableUrl,
    clientErrorHandler: answerClientError,
  });
  const fastify = adapter.getInstance();
  installAccessLog(fastify);
  if (tracing) installRequestSpans(fastify, tracing);
  installServerLimits(fastify);
  installBodyDepthLimit(fastify);
  installConnectionDraining(fastify);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(
      config,
      options.clock ?? systemClock,
      http,
      tracing ?? TRACING_OFF,
      logger,
      options.extraModules,
    ),
    adapter,
    // rawBody: Optum's payloadhash needs the exact bytes of a forwarded body.
    { logger: new PinoNestLogger(logger), abortOnError: false, rawBody: true },
  );
  // Any other content type arrives as a Buffer, text/plain included (Fastify would decode it into
  // a string), so Optum's payloadhash covers the bytes as received; JSON-only routes answer 415.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  await fastify.register(forwardAuthRoutes(app.get(ForwardAuthService)));
  installLeanRoutes(fastify, app);
  installHttpMetrics(fastify, app.get(MetricsService));
  setupSwagger(app);
  await app.init();
  await fastify.ready();
  return { app, config, logger };
}
