import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  ExportResultCode,
  W3CTraceContextPropagator,
  type ExportResult,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { StsError } from '../common/errors';
import type { SpanAttributes, SpanKindName, Tracing, WorkSpan } from '../common/tracing';
import type { TraceSampler, TracingSettings } from '../config/tracing';
import { redactOutboundUrl, type Logger } from '../logging/logger';

const KINDS: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  internal: SpanKind.INTERNAL,
};

const SAMPLERS: Record<TraceSampler, (ratio: number) => Sampler> = {
  always_on: () => new AlwaysOnSampler(),
  always_off: () => new AlwaysOffSampler(),
  traceidratio: (ratio) => new TraceIdRatioBasedSampler(ratio),
  parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
  parentbased_traceidratio: (ratio) =>
    new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
};

/** What a failure is called on a span: its stable code, never its message (which may quote input). */
const errorType = (err: unknown): string =>
  err instanceof StsError ? err.code : err instanceof Error ? err.name : 'Error';

/**
 * The OTLP exporter, plus a log line when exports start failing and when they work again (the
 * SDK reports its own errors only to its diagnostics logger, silent unless installed globally).
 */
class ReportingExporter implements SpanExporter {
  private failing = false;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly logger: Logger,
    private readonly endpoint: string,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.exporter.export(spans, (result) => {
      const failed = result.code !== ExportResultCode.SUCCESS;
      if (failed !== this.failing) {
        this.failing = failed;
        if (failed)
          this.logger.warn(
            { endpoint: this.endpoint, reason: result.error?.message },
            'trace export failing: spans are dropped until the collector answers',
          );
        else this.logger.info({ endpoint: this.endpoint }, 'trace export working again');
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * OpenTelemetry tracing of one app instance: its own tracer provider, context manager and
 * propagator, none registered globally (tests run several apps in one process, and a library
 * using the global API must not pick up our spans). Spans leave in batches over OTLP/HTTP (JSON);
 * the provider is flushed and shut down with the app.
 */
export class OtelTracing implements Tracing, OnApplicationShutdown {
  readonly enabled = true;
  private readonly contexts = new AsyncLocalStorageContextManager();
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  constructor(settings: TracingSettings, logger: Logger) {
    const endpoint = redactOutboundUrl(settings.endpoint);
    this.provider = new BasicTracerProvider({
      resource: defaultResource().merge(
        resourceFromAttributes({ 'service.name': settings.serviceName }),
      ),
      sampler: SAMPLERS[settings.sampler](settings.samplerRatio),
      spanProcessors: [
        new BatchSpanProcessor(
          new ReportingExporter(
            new OTLPTraceExporter({ url: settings.endpoint }),
            logger,
            endpoint,
          ),
        ),
      ],
    });
    this.tracer = this.provider.getTracer('open-sts');
    logger.info(
      { endpoint, serviceName: settings.serviceName, sampler: settings.sampler },
      'tracing on: spans exported over OTLP/HTTP',
    );
  }

  inSpan<T>(
    name: string,
    kind: SpanKindName,
    attributes: SpanAttributes,
    work: (span: WorkSpan) => Promise<T>,
  ): Promise<T> {
    const parent = this.contexts.active();
    const span = this.tracer.startSpan(name, { kind: KINDS[kind], attributes }, parent);
    return this.contexts.with(trace.setSpan(parent, span), async () => {
      try {
        return await work(span);
      } catch (err) {
        span.setAttribute('error.type', errorType(err));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  inject(headers: Record<string, string>): void {
    this.propagator.inject(this.contexts.active(), headers, defaultTextMapSetter);
  }

  /** A request's SERVER span: the child of the caller's `traceparent` when it sent a valid one. */
  startRequestSpan(name: string, headers: IncomingHttpHeaders, attributes: SpanAttributes): Span {
    const parent: Context = this.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    return this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  }

  /** Runs `next` (the rest of a request's handling) with its span active. */
  runInSpan(span: Span, next: () => void): void {
    this.contexts.with(trace.setSpan(ROOT_CONTEXT, span), next);
  }

  /** Ends a request's span with its answer; a 5xx marks it failed (the HTTP server convention). */
  endRequestSpan(span: Span, status: number, attributes: SpanAttributes): void {
    span.setAttributes({ ...attributes, 'http.response.status_code': status });
    if (status >= 500) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }

  /** Nest calls this on `app.close()`: spans still queued are sent before the app is gone. */
  onApplicationShutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
