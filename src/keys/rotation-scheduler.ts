import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { KeysetRotation } from './keyset-rotation';
import { KeysetService } from './keyset.service';
import { ROTATION_TICK_MS } from './rotation-policy';

/**
 * Drives scheduled rotation from the injected clock: `tick()` syncs with the database (changes by
 * other instances) and applies every due step. A timer calls it every ROTATION_TICK_MS in
 * production — a due rotation happens on the first tick at or after its time; the next key has
 * been published `prepublish` before, so a few seconds late only means the previous key signs a
 * few seconds longer. Tests call it directly after moving a ManualClock, so rotation times are
 * exact and nothing sleeps.
 */
@Injectable()
export class RotationScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RotationScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly keysets: KeysetService,
    private readonly rotation: KeysetRotation,
  ) {}

  /** Catches up on steps that fell due while no instance ran, then ticks on a timer. */
  async onApplicationBootstrap(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      this.tick().catch((err: Error) => this.logger.error(`rotation tick failed: ${err.message}`));
    }, ROTATION_TICK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One pass; passes never overlap, and each starts from the clock's time when it runs. */
  tick(): Promise<void> {
    const pass = this.queue.then(async () => {
      await this.keysets.sync();
      await this.rotation.applyAllDue();
    });
    this.queue = pass.catch(() => undefined);
    return pass;
  }
}
