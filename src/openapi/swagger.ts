import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Security Token Service')
    .setDescription(
      'Verifies the access and channel tokens a gateway receives and re-signs them with this service’s keys; upstreams trust /.well-known/jwks.json only.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'opaque',
      description: 'STS_ADMIN_TOKEN',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  Object.assign(document.paths, forwardAuthPaths());
  return document;
}

/**
 * `/authz` is a raw Fastify route (it must never parse bodies), so Nest cannot describe it; this
 * keeps the committed document complete.
 */
function forwardAuthPaths(): OpenAPIObject['paths'] {
  const identityHeaders = [
    'Authorization',
    'X-Sts-Authorization',
    'X-Consumer-ID',
    'X-Consumer-Custom-ID',
    'X-Consumer-Username',
    'X-Credential-Identifier',
    'X-Anonymous-Consumer',
  ];
  const operation = (operationId: string, withPath: boolean) => ({
    operationId,
    tags: ['authz'],
    summary:
      'Forward-auth (nginx auth_request, Envoy ext_authz, Traefik ForwardAuth, Caddy forward_auth)',
    description:
      'Never reads the body. 200 with an empty body and the upstream headers of the exchange as response headers; 401/403 with WWW-Authenticate and an empty body. Never 3xx, 400 or 5xx: any internal failure is a 401.',
    parameters: [
      { name: 'profile', in: 'path', required: true, schema: { type: 'string' } },
      ...(withPath
        ? [
            {
              name: 'path',
              in: 'path',
              required: true,
              description: 'Original path (Envoy path_prefix)',
              schema: { type: 'string' },
            },
          ]
        : []),
    ],
    responses: {
      '200': {
        description: 'Authorized; copy the headers onto the upstream request',
        headers: Object.fromEntries(
          identityHeaders.map((name) => [name, { schema: { type: 'string' } }]),
        ),
      },
      '401': {
        description: 'Missing or invalid token',
        headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
      },
      '403': {
        description: 'Insufficient scope or unknown consumer',
        headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
      },
    },
  });
  const methods = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'] as const;
  const pathItem = (suffix: string) =>
    Object.fromEntries(
      methods.map((method) => [method, operation(`forwardAuth${suffix}_${method}`, suffix !== '')]),
    );
  return { '/authz/{profile}': pathItem(''), '/authz/{profile}/{path}': pathItem('WithPath') };
}

/** Swagger UI at /docs, the JSON at /docs/json. */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs/json',
  });
}
