import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { ApiErrorResponse } from '../openapi/error-responses';
import { AdminController, ApiDeclaredInFile } from './admin-controller.decorator';
import {
  ClientCreateRequest,
  ClientPage,
  ClientUpdateRequest,
  ClientView,
  ClientWithSecret,
} from './clients.dto';
import { ClientsAdminService } from './clients-admin.service';
import { paginate, PageQuery, type Page } from './pagination';

const CLIENT_ID = { name: 'client_id', example: 'orders-service' };

@AdminController('clients')
export class ClientsController {
  constructor(private readonly clients: ClientsAdminService) {}

  @Get()
  @ApiOperation({ summary: 'RFC 8693 / RFC 7662 clients, by client_id (never their secrets)' })
  @ApiOkResponse({ type: ClientPage })
  async listClients(@Query() query: PageQuery): Promise<Page<ClientView>> {
    return paginate(await this.clients.list(), query, '/admin/clients');
  }

  @Post()
  @ApiOperation({
    summary: 'Create a client; the answer shows its secret, once',
    description: 'The secret is generated unless given, and stored only as a scrypt hash.',
  })
  @ApiCreatedResponse({ type: ClientWithSecret })
  @ApiErrorResponse('ERR_CONFLICT', 'client "svc-a" exists', 'client_id taken or in the file')
  createClient(@Body() body: ClientCreateRequest): Promise<ClientWithSecret> {
    return this.clients.create(body);
  }

  @Get(':client_id')
  @ApiOperation({ summary: 'One client' })
  @ApiParam(CLIENT_ID)
  @ApiOkResponse({ type: ClientView })
  getClient(@Param('client_id') clientId: string): Promise<ClientView> {
    return this.clients.get(clientId);
  }

  @Patch(':client_id')
  @ApiOperation({ summary: 'Change the profile, audiences or scopes; absent members stay' })
  @ApiParam(CLIENT_ID)
  @ApiOkResponse({ type: ClientView })
  @ApiDeclaredInFile()
  updateClient(
    @Param('client_id') clientId: string,
    @Body() body: ClientUpdateRequest,
  ): Promise<ClientView> {
    return this.clients.update(clientId, body);
  }

  @Post(':client_id/secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replace the secret with a new generated one, shown once; the old one stops working',
  })
  @ApiParam(CLIENT_ID)
  @ApiOkResponse({ type: ClientWithSecret })
  @ApiDeclaredInFile()
  resetClientSecret(@Param('client_id') clientId: string): Promise<ClientWithSecret> {
    return this.clients.resetSecret(clientId);
  }

  @Delete(':client_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a client; its credentials fail from the next request' })
  @ApiParam(CLIENT_ID)
  @ApiNoContentResponse()
  @ApiDeclaredInFile()
  deleteClient(@Param('client_id') clientId: string): Promise<void> {
    return this.clients.delete(clientId);
  }
}
