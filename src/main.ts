import { createApp } from './app';
import { ConfigError } from './common/validation';
import { shutdownGracefully } from './lifecycle/graceful-shutdown';

/** Boots the app, listens, and owns the process signals (createApp() never subscribes to them). */
async function main(): Promise<void> {
  const started = performance.now();
  const { app, config, logger } = await createApp();
  if (config.allowInsecureHttp) {
    logger.warn('STS_ALLOW_INSECURE_HTTP=true: outbound calls may use plain http to any host');
  }
  await app.listen(config.port, config.host);
  logger.info(
    {
      url: await app.getUrl(),
      issuer: config.issuer,
      startupMs: Math.round(performance.now() - started),
    },
    'STS listening',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info(
      { signal, timeoutMs: config.shutdownTimeoutMs },
      'shutting down: refusing new connections, finishing in-flight requests',
    );
    shutdownGracefully(app, { timeoutMs: config.shutdownTimeoutMs, logger }).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError
      ? err.message
      : `start-up failed: ${(err as Error).message ?? String(err)}`,
  );
  process.exit(1);
});
