import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { toStsError } from '../common/error.filter';

export type AuditAction = 'create' | 'update' | 'delete' | 'rotate' | 'rekey';

export interface AuditEntry {
  action: AuditAction;
  /** `keyset`, `signer`, `master_key`, … */
  resource: string;
  name: string;
  result: 'success' | 'failure';
  /** The error code of a failure. */
  code?: string;
}

/**
 * One structured line per admin change, success or failure. Entries carry names and outcomes
 * only — never request bodies, keys or secrets. Every audit line goes through `write`, so moving
 * to another logger is a one-line change.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('Audit');

  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /** Runs an admin change and records its outcome. */
  async track<T>(
    action: AuditAction,
    resource: string,
    name: string,
    change: () => Promise<T>,
  ): Promise<T> {
    try {
      const result = await change();
      this.write({ action, resource, name, result: 'success' });
      return result;
    } catch (err) {
      this.write({
        action,
        resource,
        name,
        result: 'failure',
        code: toStsError(err)?.code ?? 'ERR_INTERNAL',
      });
      throw err;
    }
  }

  write(entry: AuditEntry): void {
    this.logger.log(
      JSON.stringify({
        audit: true,
        time: new Date(this.clock.now()).toISOString(),
        actor: 'admin',
        ...entry,
      }),
    );
  }
}
