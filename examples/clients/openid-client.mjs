// An RFC 8693 client and an upstream, as independent libraries see this service: openid-client
// finds the endpoints by discovery, exchanges a token and introspects the result; jose verifies
// it with the published keys.
// Run: STS_ISSUER=http://localhost:8080 SUBJECT_TOKEN=… node examples/clients/openid-client.mjs
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

// The URL clients use must equal the metadata's `issuer`: the service's STS_ISSUER.
const issuer = new URL(process.env.STS_ISSUER ?? 'http://localhost:8080');

// RFC 8414 discovery (/.well-known/oauth-authorization-server): algorithm 'oauth2'. Plain http
// needs the client's own opt-in; use https anywhere but on your machine.
const config = await client.discovery(issuer, 'svc-a', 'secret-a', undefined, {
  algorithm: 'oauth2',
  execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
});
const { jwks_uri, issuer: iss } = config.serverMetadata();

// RFC 8693: trade the subject token for one of ours, for one audience and a narrower scope.
const exchanged = await client.genericGrantRequest(
  config,
  'urn:ietf:params:oauth:grant-type:token-exchange',
  {
    subject_token: process.env.SUBJECT_TOKEN,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    audience: 'https://orders.example.com',
    scope: 'read',
  },
);

// RFC 7662: is it ours and still valid?
const introspected = await client.tokenIntrospection(config, exchanged.access_token);

// An upstream verifies it with the public keys the service publishes.
const { payload } = await jwtVerify(exchanged.access_token, createRemoteJWKSet(new URL(jwks_uri)), {
  issuer: iss,
  audience: 'https://orders.example.com',
  typ: 'at+jwt',
});

console.log(JSON.stringify({ issuer: iss, exchanged, introspected, verified: payload }));
