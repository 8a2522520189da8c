import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * Which methods the router serves a path with: what a request that found no route is told in
 * `405 Method Not Allowed` and its `Allow` header (RFC 9110 §15.5.6) instead of `404`. GET routes
 * serve HEAD too (Fastify adds it). Forward-auth serves every method, so it never gets here.
 */
@Injectable()
export class RouteMethods {
  private readonly hidden: string[] = [];

  /** Paths under `prefix` stay unknown whatever their routes (the admin API while it is off). */
  hide(prefix: string): void {
    this.hidden.push(prefix);
  }

  /** The methods `request`'s path is served with, sorted; empty for a path no route matches. */
  servedMethods(request: FastifyRequest): string[] {
    const path = request.url.split('?', 1)[0]!;
    if (this.hidden.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return [];
    const server = request.server;
    return server.supportedMethods
      .filter((method) => server.findRoute({ method, url: request.url }) !== null)
      .sort();
  }
}
