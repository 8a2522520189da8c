import type { TracingSettings } from '../config/tracing';
import type { Logger } from '../logging/logger';
import type { OtelTracing } from './otel-tracing';

/**
 * OpenTelemetry is loaded here, on demand, only when tracing is on: a service without it never
 * pays for loading the SDK at start-up, nor runs any of it later.
 */
export async function startTracing(
  settings: TracingSettings,
  logger: Logger,
): Promise<OtelTracing> {
  const { OtelTracing } = await import('./otel-tracing.js');
  return new OtelTracing(settings, logger);
}
