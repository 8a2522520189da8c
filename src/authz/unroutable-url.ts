import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../common/error.filter';
import { Errors } from '../common/errors';
import { annotateRequest } from '../common/request-annotations';
import { forwardAuthRefusal } from './forward-auth.service';

const FORWARD_AUTH_PATH = /^\/authz(\/|\?|$)/;

/**
 * Fastify's `frameworkErrors`: a URL it cannot route (bad percent-encoding, a path parameter
 * longer than `maxParamLength`) is answered before any route or Nest's filter runs. Here it gets
 * our error model, and on /authz the 401 forward-auth gives every failure: a gateway must never
 * see a 400 from it (nginx would turn it into a 500 for the client).
 */
export function answerUnroutableUrl(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const problem = Errors.invalidRequest(
    error.statusCode === 414 ? 'a path segment is too long' : 'the URL is not valid',
  );
  annotateRequest(request, { outcome: problem.code });
  if (FORWARD_AUTH_PATH.test(request.url)) {
    const answer = forwardAuthRefusal(problem.code);
    void reply.status(answer.status).headers(answer.headers).send();
    return;
  }
  sendError(reply, problem);
}
