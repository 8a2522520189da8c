import { Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { stringify as toYaml } from 'yaml';
import { AdminController } from './admin-controller.decorator';
import { ConfigExport, ConfigExportQuery, RekeyResult } from './admin.dto';
import { ConfigExportService } from './config-export.service';
import { KeysetsAdminService } from './keysets-admin.service';

@AdminController()
export class AdminRootController {
  constructor(
    private readonly exporter: ConfigExportService,
    private readonly keysets: KeysetsAdminService,
  ) {}

  @Get('config')
  @ApiOperation({
    summary: 'The live configuration in the declarative file format (secrets redacted)',
    description:
      'Usable as STS_CONFIG once every "[REDACTED]" secret is filled in (the file refuses the placeholder): export → import → export gives identical output. Keys are never exported.',
  })
  @ApiProduces('application/json', 'application/yaml')
  @ApiOkResponse({ type: ConfigExport })
  async exportConfig(
    @Query() query: ConfigExportQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConfigExport | string> {
    const exported = await this.exporter.export();
    void reply.header('cache-control', 'no-store');
    if (query.format !== 'yaml') return exported;
    void reply.type('application/yaml');
    return toYaml(exported);
  }

  @Post('rekey')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Re-encrypt every stored private key under the first key of STS_MASTER_KEY',
    description:
      'Rotate the master key: set STS_MASTER_KEY=new,old on every instance, call this (or npm run rekey), then drop the old key.',
  })
  @ApiOkResponse({ type: RekeyResult })
  rekey(): Promise<RekeyResult> {
    return this.keysets.rekey();
  }
}
