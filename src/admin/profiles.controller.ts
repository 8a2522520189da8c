import { Body, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrorResponse } from '../openapi/error-responses';
import { AdminController, ApiDeclaredInFile } from './admin-controller.decorator';
import { paginate, PageQuery, type Page } from './pagination';
import { PROFILE_BODY_SCHEMA, ProfilePage, ProfileView } from './profiles.dto';
import { ProfilesAdminService } from './profiles-admin.service';

const NAME = { name: 'name', example: 'api' };

@AdminController('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesAdminService) {}

  @Get()
  @ApiOperation({ summary: 'Profiles (Kong JWT Signer configurations), by name' })
  @ApiOkResponse({ type: ProfilePage })
  listProfiles(@Query() query: PageQuery): Page<ProfileView> {
    return paginate(this.profiles.list(), query, '/admin/profiles');
  }

  @Post()
  @ApiOperation({
    summary: 'Create a profile; /verify, /exchange and /authz serve it from the next request',
    description: 'Checked exactly as the file is: an unsupported parameter is a 400 naming it.',
  })
  @ApiBody({ schema: PROFILE_BODY_SCHEMA })
  @ApiCreatedResponse({ type: ProfileView })
  @ApiErrorResponse('ERR_CONFLICT', 'profile "api" exists', 'Name taken or declared in the file')
  createProfile(@Body() body: unknown): Promise<ProfileView> {
    return this.profiles.create(body);
  }

  @Get(':name')
  @ApiOperation({ summary: 'One profile, parameters as given (secrets redacted)' })
  @ApiParam(NAME)
  @ApiOkResponse({ type: ProfileView })
  getProfile(@Param('name') name: string): ProfileView {
    return this.profiles.get(name);
  }

  @Put(':name')
  @ApiOperation({
    summary: 'Create or replace a profile',
    description:
      'The body is the whole profile; parameters it leaves out fall back to their defaults. Tokens exchanged under the old version are not served from the exchange cache again.',
  })
  @ApiParam(NAME)
  @ApiBody({ schema: PROFILE_BODY_SCHEMA })
  @ApiOkResponse({ type: ProfileView, description: 'Replaced' })
  @ApiCreatedResponse({ type: ProfileView, description: 'Created' })
  @ApiDeclaredInFile()
  async replaceProfile(
    @Param('name') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProfileView> {
    const { created, view } = await this.profiles.replace(name, body);
    void reply.status(created ? 201 : 200);
    return view;
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a profile; its routes answer 404 from the next request' })
  @ApiParam(NAME)
  @ApiNoContentResponse()
  @ApiDeclaredInFile()
  deleteProfile(@Param('name') name: string): Promise<void> {
    return this.profiles.delete(name);
  }
}
