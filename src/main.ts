import { createApp } from './app';
import { ConfigError } from './config/validate';

async function main(): Promise<void> {
  const started = performance.now();
  const { app, config } = await createApp();
  if (config.allowInsecureHttp) {
    console.warn('STS_ALLOW_INSECURE_HTTP=true: outbound calls may use plain http to any host');
  }
  await app.listen(config.port, config.host);
  console.log(
    `STS listening on http://${config.host}:${config.port} (issuer ${config.issuer}) after ${Math.round(performance.now() - started)} ms`,
  );
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError
      ? err.message
      : `start-up failed: ${(err as Error).message ?? String(err)}`,
  );
  process.exit(1);
});
