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
  ConsumerCreateRequest,
  ConsumerPage,
  ConsumerUpdateRequest,
  ConsumerView,
  JwtCredentialCreateRequest,
  JwtCredentialPage,
  JwtCredentialUpdateRequest,
  JwtCredentialView,
} from './consumers.dto';
import { ConsumersAdminService } from './consumers-admin.service';
import { paginate, PageQuery, type Page } from './pagination';

const CONSUMER = { name: 'consumer', description: 'Username or id', example: 'alice' };
const CREDENTIAL = { name: 'credential', description: 'Key or id', example: 'alice-key' };

/** Kong's `/consumers` and JWT plugin's `/consumers/{consumer}/jwt`, under `/admin`. */
@AdminController('consumers')
export class ConsumersController {
  constructor(private readonly consumers: ConsumersAdminService) {}

  @Get()
  @ApiOperation({ summary: 'Consumers (Kong), by username' })
  @ApiOkResponse({ type: ConsumerPage })
  async listConsumers(@Query() query: PageQuery): Promise<Page<ConsumerView>> {
    await this.consumers.caughtUp();
    return paginate(this.consumers.list(), query, '/admin/consumers');
  }

  @Post()
  @ApiOperation({ summary: 'Create a consumer (username and/or custom_id)' })
  @ApiCreatedResponse({ type: ConsumerView })
  @ApiErrorResponse(
    'ERR_CONFLICT',
    'a consumer with username "alice" exists',
    'id, username or custom_id taken',
  )
  createConsumer(@Body() body: ConsumerCreateRequest): Promise<ConsumerView> {
    return this.consumers.create(body);
  }

  @Get(':consumer')
  @ApiOperation({ summary: 'One consumer' })
  @ApiParam(CONSUMER)
  @ApiOkResponse({ type: ConsumerView })
  async getConsumer(@Param('consumer') consumer: string): Promise<ConsumerView> {
    await this.consumers.caughtUp();
    return this.consumers.get(consumer);
  }

  @Patch(':consumer')
  @ApiOperation({
    summary: 'Change username or custom_id; the next request carries the new headers',
  })
  @ApiParam(CONSUMER)
  @ApiOkResponse({ type: ConsumerView })
  @ApiDeclaredInFile()
  updateConsumer(
    @Param('consumer') consumer: string,
    @Body() body: ConsumerUpdateRequest,
  ): Promise<ConsumerView> {
    return this.consumers.update(consumer, body);
  }

  @Delete(':consumer')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a consumer and its JWT credentials' })
  @ApiParam(CONSUMER)
  @ApiNoContentResponse()
  @ApiErrorResponse(
    'ERR_CONFLICT',
    'consumer "alice" is declared in the configuration file (STS_CONFIG); change it there',
    "Declared in the file, or a profile's anonymous consumer",
  )
  deleteConsumer(@Param('consumer') consumer: string): Promise<void> {
    return this.consumers.delete(consumer);
  }

  @Get(':consumer/jwt')
  @ApiOperation({ summary: "A consumer's JWT credentials, by key (never their secrets)" })
  @ApiParam(CONSUMER)
  @ApiOkResponse({ type: JwtCredentialPage })
  async listCredentials(
    @Param('consumer') consumer: string,
    @Query() query: PageQuery,
  ): Promise<Page<JwtCredentialView>> {
    await this.consumers.caughtUp();
    return paginate(
      this.consumers.credentials(consumer),
      query,
      `/admin/consumers/${encodeURIComponent(consumer)}/jwt`,
    );
  }

  @Post(':consumer/jwt')
  @ApiOperation({
    summary: 'Add a JWT credential (Kong JWT)',
    description:
      'HS* needs `secret`, the others `rsa_public_key` (PEM). The secret is stored encrypted and never shown again.',
  })
  @ApiParam(CONSUMER)
  @ApiCreatedResponse({ type: JwtCredentialView })
  @ApiErrorResponse('ERR_CONFLICT', 'a JWT credential with key "alice-key" exists', 'Key taken')
  createCredential(
    @Param('consumer') consumer: string,
    @Body() body: JwtCredentialCreateRequest,
  ): Promise<JwtCredentialView> {
    return this.consumers.addCredential(consumer, body);
  }

  @Get(':consumer/jwt/:credential')
  @ApiOperation({ summary: 'One JWT credential' })
  @ApiParam(CONSUMER)
  @ApiParam(CREDENTIAL)
  @ApiOkResponse({ type: JwtCredentialView })
  async getCredential(
    @Param('consumer') consumer: string,
    @Param('credential') credential: string,
  ): Promise<JwtCredentialView> {
    await this.consumers.caughtUp();
    return this.consumers.credential(consumer, credential);
  }

  @Patch(':consumer/jwt/:credential')
  @ApiOperation({ summary: 'Change algorithm, secret or public key; absent members stay' })
  @ApiParam(CONSUMER)
  @ApiParam(CREDENTIAL)
  @ApiOkResponse({ type: JwtCredentialView })
  @ApiDeclaredInFile()
  updateCredential(
    @Param('consumer') consumer: string,
    @Param('credential') credential: string,
    @Body() body: JwtCredentialUpdateRequest,
  ): Promise<JwtCredentialView> {
    return this.consumers.updateCredential(consumer, credential, body);
  }

  @Delete(':consumer/jwt/:credential')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a JWT credential; its tokens fail from the next request' })
  @ApiParam(CONSUMER)
  @ApiParam(CREDENTIAL)
  @ApiNoContentResponse()
  @ApiDeclaredInFile()
  deleteCredential(
    @Param('consumer') consumer: string,
    @Param('credential') credential: string,
  ): Promise<void> {
    return this.consumers.removeCredential(consumer, credential);
  }
}
