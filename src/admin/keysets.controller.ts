import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { KeysetConfig } from '../config/file.schema';
import { ApiErrorResponse } from '../openapi/error-responses';
import { AdminController, ApiDeclaredInFile } from './admin-controller.decorator';
import { KeysetPage, KeysetUpdateRequest, KeysetView, RotateQuery } from './keysets.dto';
import { KeysetsAdminService } from './keysets-admin.service';
import { paginate, PageQuery, type Page } from './pagination';

const NAME = { name: 'name', example: 'edge' };

@AdminController('keysets')
export class KeysetsController {
  constructor(private readonly keysets: KeysetsAdminService) {}

  @Get()
  @ApiOperation({ summary: 'Keysets with their public keys and rotation state, by name' })
  @ApiOkResponse({ type: KeysetPage })
  listKeysets(@Query() query: PageQuery): Page<KeysetView> {
    return paginate(this.keysets.list(), query, '/admin/keysets');
  }

  @Post()
  @ApiOperation({ summary: 'Create a keyset (its first key is generated at once)' })
  @ApiCreatedResponse({ type: KeysetView })
  @ApiErrorResponse('ERR_CONFLICT', 'keyset "edge" exists', 'Name taken or declared in the file')
  createKeyset(@Body() body: KeysetConfig): Promise<KeysetView> {
    return this.keysets.create(body);
  }

  @Get(':name')
  @ApiOperation({ summary: 'One keyset' })
  @ApiParam(NAME)
  @ApiOkResponse({ type: KeysetView })
  getKeyset(@Param('name') name: string): KeysetView {
    return this.keysets.get(name);
  }

  @Patch(':name')
  @ApiOperation({
    summary: 'Change rotation settings or the RSA size of future keys',
    description: 'The algorithm never changes. Absent members stay; null restores the default.',
  })
  @ApiParam(NAME)
  @ApiOkResponse({ type: KeysetView })
  @ApiDeclaredInFile()
  updateKeyset(
    @Param('name') name: string,
    @Body() body: KeysetUpdateRequest,
  ): Promise<KeysetView> {
    return this.keysets.update(name, body);
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a keyset and its keys (not default, not while a signer uses it)',
  })
  @ApiParam(NAME)
  @ApiNoContentResponse()
  @ApiErrorResponse(
    'ERR_CONFLICT',
    'keyset "edge" is used by signer "krakend"',
    'default, in use, or in the file',
  )
  deleteKeyset(@Param('name') name: string): Promise<void> {
    return this.keysets.delete(name);
  }

  @Post(':name/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate now, or publish the next key now and rotate after ?prepublish=',
    description:
      "Kong's POST /jwt-signer/jwks/{id}/rotate. The current key stays published as previous. A pending next key is reused (already in downstream caches).",
  })
  @ApiParam(NAME)
  @ApiOkResponse({ type: KeysetView })
  rotateKeyset(@Param('name') name: string, @Query() query: RotateQuery): Promise<KeysetView> {
    return this.keysets.rotate(name, query.prepublish);
  }
}
