import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { toStsError } from '../common/error.filter';

export type AuditAction = 'create' | 'update' | 'delete' | 'rotate' | 'rekey' | 'retire';

/** Who made a change: the admin API, or the declarative file applied at start. */
export type AuditActor = 'admin' | 'config-file';

export interface AuditEntry {
  action: AuditAction;
  /** `keyset`, `signer`, `master_key`, … */
  resource: string;
  name: string;
  result: 'success' | 'failure';
  /** The error code of a failure. */
  code?: string;
}

/** An entity the declarative file wrote and no longer declares. */
export interface UndeclaredEntity {
  name: string;
  /** What still uses it (`profile "p"`), which keeps it. */
  usedBy?: readonly string[];
  remove: () => Promise<unknown>;
}

/**
 * One structured line per change to the store, by the admin API or by the declarative file
 * applied at start (what it no longer declares goes), success or failure. Entries carry names and
 * outcomes only — never request bodies, keys or secrets. Every audit line goes through `write`,
 * so moving to another logger is a one-line change.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('Audit');

  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /** Runs a change and records its outcome. */
  async track<T>(
    action: AuditAction,
    resource: string,
    name: string,
    change: () => Promise<T>,
    actor: AuditActor = 'admin',
  ): Promise<T> {
    try {
      const result = await change();
      this.write({ action, resource, name, result: 'success' }, actor);
      return result;
    } catch (err) {
      this.write(
        {
          action,
          resource,
          name,
          result: 'failure',
          code: toStsError(err)?.code ?? 'ERR_INTERNAL',
        },
        actor,
      );
      throw err;
    }
  }

  /**
   * Removes, one audited change each, the entities the declarative file wrote and no longer
   * declares (`retire` for keysets, whose keys stay published a while). One still in use is kept,
   * and said so.
   */
  async removeUndeclared(
    resource: string,
    entries: readonly UndeclaredEntity[],
    action: 'delete' | 'retire' = 'delete',
  ): Promise<void> {
    const removed = action === 'retire' ? 'retired' : 'removed';
    for (const { name, usedBy = [], remove } of entries) {
      const undeclared = `${resource} "${name}" is no longer declared in the configuration file`;
      if (usedBy.length > 0) {
        this.logger.warn(`${undeclared}, but ${usedBy.join(', ')} still uses it: kept`);
        continue;
      }
      await this.track(action, resource, name, remove, 'config-file');
      this.logger.warn(`${undeclared}: ${removed}`);
    }
  }

  write(entry: AuditEntry, actor: AuditActor = 'admin'): void {
    this.logger.log(
      JSON.stringify({
        audit: true,
        time: new Date(this.clock.now()).toISOString(),
        actor,
        ...entry,
      }),
    );
  }
}
