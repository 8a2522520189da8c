import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { BodyLimit } from '../src/limits/server-limits';
import { RateLimited } from '../src/limits/rate-limit';

/** Test-only routes mounted through `startSts({ extraModules: [ProbeRoutesModule] })`. */
@Controller('probe')
class ProbeController {
  @Post('limited')
  @HttpCode(200)
  @RateLimited()
  limited(): { ok: true } {
    return { ok: true };
  }

  @Post('small')
  @HttpCode(200)
  @BodyLimit(1024)
  small(@Body() body: unknown): { bytes: number } {
    return { bytes: JSON.stringify(body).length };
  }

  @Get('boom')
  boom(): never {
    throw new Error('unexpected failure in a handler');
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeRoutesModule {}
