import { Injectable } from '@nestjs/common';

/**
 * A readiness condition another module owns (e.g. "configured IdP JWKS warmed"): resolves, with
 * optional details, when satisfied; throws with a message safe to show when not.
 */
export type ReadinessProbe = () =>
  Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

/** Where modules register extra readiness conditions; `/health/ready` checks them all. */
@Injectable()
export class ReadinessProbes {
  private readonly probes = new Map<string, ReadinessProbe>();

  register(name: string, probe: ReadinessProbe): void {
    if (this.probes.has(name)) throw new Error(`readiness probe "${name}" registered twice`);
    this.probes.set(name, probe);
  }

  entries(): [string, ReadinessProbe][] {
    return [...this.probes.entries()];
  }
}
