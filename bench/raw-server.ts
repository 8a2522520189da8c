/**
 * The "raw" limit: a bare Fastify 5 JSON route, as cheap as an HTTP answer from Node gets on this
 * machine. It is also the upstream behind nginx (any GET path). `node raw-server.js <port>`.
 */
import Fastify from 'fastify';

const app = Fastify();
const hello = () => ({ hello: 'world' });
app.get('/', hello);
app.get('/*', hello);
void app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
