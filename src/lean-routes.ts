import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireJsonBody } from './common/body-type.guards';
import { StsErrorFilter } from './common/error.filter';
import { RouteMethods } from './common/route-methods';
import { exchangeAnswer } from './exchange/profile-exchange.controller';
import { ProfileExchangeService } from './upstream/profile-exchange.service';
import { VerificationService } from './verification/verification.service';
import { verifyAnswer } from './verify/verify.controller';

type LeanHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const profileOf = (request: FastifyRequest): string =>
  (request.params as { profile: string }).profile;

/**
 * The token endpoints gateways call on every request, served by plain Fastify handlers in place
 * of Nest's route pipeline (guards, interceptors, parameter resolution, response mapping), which
 * cost about a tenth of a cached verification. Their controllers still declare them — route,
 * OpenAPI, 405s — and share each answer's code with the handlers here; every Fastify hook (access
 * log, metrics, limits, tracing) runs as before, and a failure gets the global filter's answer.
 * Call before `app.init()`, which registers the controllers' routes.
 */
export function installLeanRoutes(fastify: FastifyInstance, app: NestFastifyApplication): void {
  const filter = new StsErrorFilter(app.get(RouteMethods));
  const verification = app.get(VerificationService);
  const exchange = app.get(ProfileExchangeService);
  const handlers = new Map<string, LeanHandler>([
    [
      'POST /verify/:profile',
      async (request, reply) => {
        // Where Nest's `@Header` puts it: first, so an error answer keeps the same header order.
        void reply.header('cache-control', 'no-store');
        requireJsonBody(request);
        return reply.send(
          await verifyAnswer(verification, profileOf(request), request, request.body),
        );
      },
    ],
    [
      'POST /exchange/:profile',
      async (request, reply) =>
        reply.send(await exchangeAnswer(exchange, profileOf(request), request, reply)),
    ],
  ]);
  fastify.addHook('onRoute', (route) => {
    const handler = handlers.get(`${String(route.method)} ${route.url}`);
    if (!handler) return;
    route.handler = async (request, reply) => {
      try {
        await handler(request, reply);
      } catch (err) {
        filter.answer(err, request, reply);
      }
    };
  });
}
