import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from './pagination';

/** A profile's parameters are Kong's, checked by the profile schema itself, not by a DTO. */
export const PROFILE_BODY_SCHEMA = {
  type: 'object' as const,
  additionalProperties: true,
  description:
    'Kong JWT Signer parameters (a Kong `config:` block) plus `name`, as in the file\'s `profiles` section. Secrets sent as "[REDACTED]" keep their stored value; `managed_by` is ignored.',
  example: {
    name: 'api',
    access_token_jwks_uri: 'https://idp.example.com/.well-known/jwks.json',
    access_token_scopes_required: ['read'],
    channel_token_optional: true,
  },
};

export class ProfileView {
  @ApiProperty({ example: 'api' }) name!: string;
  @ApiProperty({
    enum: ['file', 'api'],
    description:
      'file: declared in STS_CONFIG, changed there. Every other member is a parameter as given (defaults not filled in), secrets as "[REDACTED]".',
  })
  managed_by!: 'file' | 'api';
  [parameter: string]: unknown;
}

export class ProfilePage extends PageOf(ProfileView) {}
