import type { Logger } from '@nestjs/common';

/** How often an instance picks up changes other instances made to the shared store. */
export const STORE_SYNC_MS = 5000;

/**
 * Runs `sync` every STORE_SYNC_MS without keeping the process alive; a failed round is logged
 * and the next one tries again. Returns the timer for `clearInterval` at shutdown.
 */
export function everySyncInterval(
  what: string,
  sync: () => Promise<void>,
  logger: Logger,
): NodeJS.Timeout {
  const timer = setInterval(() => {
    sync().catch((err: Error) => logger.error(`${what} sync failed: ${err.message}`));
  }, STORE_SYNC_MS);
  timer.unref();
  return timer;
}
