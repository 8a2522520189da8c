import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { annotateRequest } from '../common/request-annotations';
import type { ForwardAuthService } from './forward-auth.service';

/**
 * `ANY /authz/{profile}` and `/authz/{profile}/*`, in an encapsulated Fastify context whose only
 * content-type parser ignores the body: a forwarded request is never parsed, so no content type
 * or size can make Fastify answer 400/413/415 here. Every method Fastify routes is served (a
 * gateway forwards the original one), so no method answers 404 or 405 here.
 */
export function forwardAuthRoutes(forwardAuth: ForwardAuthService) {
  return (instance: FastifyInstance, _options: unknown, done: (err?: Error) => void): void => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null, undefined));
    const handler = async (
      request: FastifyRequest<{ Params: { profile: string; '*'?: string } }>,
      reply: FastifyReply,
    ) => {
      const prefix = `/authz/${encodeURIComponent(request.params.profile)}`;
      const suffix = request.url.startsWith(prefix) ? request.url.slice(prefix.length) : '/';
      const answer = await forwardAuth.authorize({
        profile: request.params.profile,
        method: request.method,
        suffix,
        headers: request.headers,
        rawHeaders: request.raw.rawHeaders,
        remoteAddress: request.socket.remoteAddress ?? '',
      });
      // Outside Nest: no error filter annotates this route, so the outcome is set here.
      annotateRequest(request, { profile: request.params.profile, outcome: answer.outcome });
      return reply.status(answer.status).headers(answer.headers).send();
    };
    for (const url of ['/authz/:profile', '/authz/:profile/*']) {
      instance.route({ method: instance.supportedMethods, url, handler, exposeHeadRoute: false });
    }
    done();
  };
}
