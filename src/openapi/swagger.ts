import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { SECURITY_SCHEMES, type SecuritySchemeName } from './security';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Security Token Service')
    .setDescription(
      'Verifies the access and channel tokens a gateway receives and re-signs them with this service’s keys; upstreams trust /.well-known/jwks.json only.',
    )
    .setVersion('0.1.0');
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) config.addSecurity(name, scheme);
  const document = SwaggerModule.createDocument(app, config.build(), {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  Object.assign(document.paths, forwardAuthPaths());
  return document;
}

/**
 * `/authz` is a raw Fastify route (it must never parse bodies), so Nest cannot describe it; this
 * keeps the committed document complete. It serves every method and any path suffix: one
 * operation stands for all of them (OpenAPI has no "any method").
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
  const challenge = { 'WWW-Authenticate': { schema: { type: 'string' } } };
  return {
    '/authz/{profile}': {
      get: {
        operationId: 'forwardAuth',
        tags: ['authz'],
        summary:
          'ANY /authz/{profile} and /authz/{profile}/*: forward-auth (nginx auth_request, Envoy ext_authz, Traefik ForwardAuth, Caddy forward_auth)',
        description:
          'Every method and any path suffix (`/authz/{profile}/orders/42`, Envoy `path_prefix` style) are served the same way; the original method and URI may come in `X-Forwarded-Method`/`X-Forwarded-Uri` (or `X-Original-*`) from a trusted proxy. Never reads the body. 200 with an empty body and the upstream headers of the exchange as response headers; 401/403 with WWW-Authenticate and an empty body. Never 3xx, 400, 405 or 5xx: any internal failure is a 401.',
        security: [{ ['token' satisfies SecuritySchemeName]: [] }, {}],
        parameters: [{ name: 'profile', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'Authorized; copy the headers onto the upstream request',
            headers: Object.fromEntries(
              identityHeaders.map((name) => [name, { schema: { type: 'string' } }]),
            ),
          },
          '401': { description: 'Missing or invalid token (empty body)', headers: challenge },
          '403': {
            description: 'Insufficient scope or unknown consumer (empty body)',
            headers: challenge,
          },
        },
      },
    },
  };
}

/** Swagger UI at /docs, the JSON at /docs/json. */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs/json',
  });
}
