import { Body, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { SignerConfig } from '../config/file.schema';
import { ApiErrorResponse } from '../openapi/error-responses';
import { AdminController, ApiDeclaredInFile } from './admin-controller.decorator';
import { paginate, PageQuery, type Page } from './pagination';
import { SignerPage, SignerReplacement, SignerView } from './signers.dto';
import { SignersAdminService } from './signers-admin.service';

const NAME = { name: 'name', example: 'krakend' };

@AdminController('signers')
export class SignersController {
  constructor(private readonly signers: SignersAdminService) {}

  @Get()
  @ApiOperation({ summary: 'KrakenD signers, by name' })
  @ApiOkResponse({ type: SignerPage })
  listSigners(@Query() query: PageQuery): Page<SignerView> {
    return paginate(this.signers.list(), query, '/admin/signers');
  }

  @Post()
  @ApiOperation({
    summary: 'Create a signer (KrakenD option names); it serves the next request',
    description:
      'The signer is checked before it is stored: its keyset is created on first use, its jwk_url or jwk_local_path must load and hold the key it names.',
  })
  @ApiCreatedResponse({ type: SignerView })
  @ApiErrorResponse('ERR_CONFLICT', 'signer "krakend" exists', 'Name taken or declared in the file')
  createSigner(@Body() body: SignerConfig): Promise<SignerView> {
    return this.signers.create(body);
  }

  @Get(':name')
  @ApiOperation({ summary: 'One signer' })
  @ApiParam(NAME)
  @ApiOkResponse({ type: SignerView })
  getSigner(@Param('name') name: string): SignerView {
    return this.signers.get(name);
  }

  @Put(':name')
  @ApiOperation({ summary: 'Create or replace a signer' })
  @ApiParam(NAME)
  @ApiOkResponse({ type: SignerView, description: 'Replaced' })
  @ApiCreatedResponse({ type: SignerView, description: 'Created' })
  @ApiDeclaredInFile()
  async replaceSigner(
    @Param('name') name: string,
    @Body() body: SignerReplacement,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SignerView> {
    const { created, view } = await this.signers.replace(name, body);
    void reply.status(created ? 201 : 200);
    return view;
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a signer; /token/{name} answers 404 from the next request' })
  @ApiParam(NAME)
  @ApiNoContentResponse()
  @ApiDeclaredInFile()
  deleteSigner(@Param('name') name: string): Promise<void> {
    return this.signers.delete(name);
  }
}
