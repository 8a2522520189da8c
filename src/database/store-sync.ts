import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

/** How often an instance picks up changes other instances made to the shared store. */
export const STORE_SYNC_MS = 5000;

interface SyncRound {
  what: string;
  sync: () => Promise<void>;
}

/**
 * The one timer that brings each instance's memory in line with the shared store: every
 * STORE_SYNC_MS the registered rounds (profiles with their consumers, signers) run one after
 * another; a failed round is logged and tried again next time.
 * Key rotation has its own scheduler, which syncs keysets as part of each tick.
 */
@Injectable()
export class StoreSync implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StoreSync.name);
  private readonly rounds: SyncRound[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  register(what: string, sync: () => Promise<void>): void {
    this.rounds.push({ what, sync });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), STORE_SYNC_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One pass over every round; a pass still running is not started again. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      for (const { what, sync } of this.rounds) {
        await sync().catch((err: Error) =>
          this.logger.error(`${what} sync failed: ${err.message}`),
        );
      }
    })().finally(() => (this.running = undefined));
    return this.running;
  }
}
