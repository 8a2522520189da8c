// TEMPORARY placeholder for the verification work (issue 4); replaced at merge.
import { Injectable } from '@nestjs/common';
import type { TokenRequest, VerificationResult } from './types';

@Injectable()
export class VerificationService {
  verify(_profile: string, _request: TokenRequest): Promise<VerificationResult> {
    return Promise.reject(new Error('verification not merged yet'));
  }
}
