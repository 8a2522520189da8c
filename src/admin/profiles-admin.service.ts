import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { SECRET_PLACEHOLDER } from '../config/file.schema';
import { ProfileService } from '../profiles/profile.service';
import { PROFILE_SECRET_FIELDS } from '../config/profile-parameters';
import { AuditLog } from '../logging/audit-log';
import { assertNotInFile } from './file-ownership';
import type { ProfileView } from './profiles.dto';

/** A profile's parameters as given, each secret replaced by the placeholder (also the export's). */
export function profileDeclaration(
  parameters: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out = { ...parameters };
  for (const field of PROFILE_SECRET_FIELDS)
    if (out[field] !== undefined && out[field] !== null) out[field] = SECRET_PLACEHOLDER;
  return out;
}

/** Profiles through the admin API: validated as the file's are, in effect for the next request. */
@Injectable()
export class ProfilesAdminService {
  constructor(
    private readonly profiles: ProfileService,
    private readonly audit: AuditLog,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  list(): ProfileView[] {
    return this.profiles.list().map((profile) => this.view(profile.name));
  }

  get(name: string): ProfileView {
    this.profiles.get(name);
    return this.view(name);
  }

  create(body: unknown): Promise<ProfileView> {
    const given = (body as { name?: unknown } | null)?.name;
    const name = typeof given === 'string' ? given : '';
    return this.audit.track('create', 'profile', name, async () => {
      const parameters = profileParameters(body);
      if (!name) throw Errors.invalidRequest('name: a profile needs a name');
      assertNotInFile('profile', name, this.declared());
      if (this.profiles.parameters(name)) throw Errors.conflict(`profile "${name}" exists`);
      await this.profiles.save(parameters);
      return this.view(name);
    });
  }

  /** Creates or replaces the whole profile; `created` tells which (201 or 200). */
  replace(name: string, body: unknown): Promise<{ created: boolean; view: ProfileView }> {
    return this.audit.track('update', 'profile', name, async () => {
      const parameters = profileParameters(body);
      if (parameters.name !== undefined && parameters.name !== name)
        throw Errors.invalidRequest(
          `name ${JSON.stringify(parameters.name)} in the body differs from the path`,
        );
      assertNotInFile('profile', name, this.declared());
      const created = this.profiles.parameters(name) === undefined;
      await this.profiles.save({ name, ...parameters });
      return { created, view: this.view(name) };
    });
  }

  delete(name: string): Promise<void> {
    return this.audit.track('delete', 'profile', name, async () => {
      this.profiles.get(name);
      assertNotInFile('profile', name, this.declared());
      await this.profiles.delete(name);
    });
  }

  private declared(): { name: string }[] {
    return this.config.file.profiles.map((profile) => ({ name: String(profile.name) }));
  }

  private view(name: string): ProfileView {
    return {
      ...profileDeclaration(this.profiles.parameters(name)!),
      name,
      managed_by: this.declared().some((p) => p.name === name) ? 'file' : 'api',
    };
  }
}

/** The parameters of a request body; a view read back and sent again also carries `managed_by`. */
function profileParameters(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw Errors.invalidRequest('request body must be a JSON object of profile parameters');
  const parameters = { ...(body as Record<string, unknown>) };
  delete parameters.managed_by;
  return parameters;
}
