import type { FastifyInstance } from 'fastify';
import { sendError } from '../common/error.filter';
import { Errors } from '../common/errors';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../common/json-depth';
import { annotateRequest } from '../common/request-annotations';

/**
 * A parsed JSON body nesting deeper than MAX_JSON_DEPTH answers 400 before any handler: a 10 KB
 * body of nested arrays made /exchange/{profile}, /token/{signer} and the admin API answer 500
 * (validating, signing or answering it overflowed the stack). Raw bodies (Buffers) are not JSON.
 */
export function installBodyDepthLimit(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, reply, done) => {
    const { body } = request;
    if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) return done();
    if (!nestsDeeperThan(body)) return done();
    const problem = Errors.invalidRequest(
      `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`,
    );
    annotateRequest(request, { outcome: problem.code });
    sendError(reply, problem);
  });
}
