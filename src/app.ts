import 'reflect-metadata';
import { type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { forwardAuthRoutes } from './authz/forward-auth.routes';
import { ForwardAuthService } from './authz/forward-auth.service';
import { systemClock, type Clock } from './common/clock';
import { BODY_LIMIT_BYTES } from './common/error.filter';
import { OutboundHttp } from './common/outbound-http';
import { loadConfig, type Environment, type StsConfig } from './config/config';
import { setupSwagger } from './openapi/swagger';

export interface CreateAppOptions {
  /** Environment to read instead of `process.env` (tests pass their own). */
  env?: Environment;
  clock?: Clock;
  /** Nest log levels; `false` silences start-up logs. */
  logger?: LogLevel[] | false;
  /** Extra trusted CAs for outbound calls (tests with local TLS servers). */
  outboundCa?: string[];
}

export interface StsApp {
  app: NestFastifyApplication;
  config: StsConfig;
}

const NEST_LOG_LEVELS: Record<StsConfig['logLevel'], LogLevel[] | false> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
  silent: false,
};

/** The one factory of the service: `main.ts` listens on it, e2e tests inject into it. */
export async function createApp(options: CreateAppOptions = {}): Promise<StsApp> {
  const config = loadConfig(options.env ?? process.env);
  const http = new OutboundHttp({
    allowInsecureHttp: config.allowInsecureHttp,
    ca: options.outboundCa,
  });
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, options.clock ?? systemClock, http),
    adapter,
    // rawBody: Optum's payloadhash needs the exact bytes of a forwarded body.
    {
      logger: options.logger ?? NEST_LOG_LEVELS[config.logLevel],
      abortOnError: false,
      rawBody: true,
    },
  );
  // Any other content type arrives as a Buffer; JSON-only routes refuse it with 415.
  adapter
    .getInstance()
    .addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  await adapter.getInstance().register(forwardAuthRoutes(app.get(ForwardAuthService)));
  app.enableShutdownHooks();
  setupSwagger(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { app, config };
}
