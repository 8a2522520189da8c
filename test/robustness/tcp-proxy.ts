import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback whose link we control: `cut()` closes every connection through it and
 * refuses new ones, as a database restarting does (without touching the shared server); `stall()`
 * stops forwarding, as a network partition does: open connections go silent (or are dropped, with
 * `dropOpen`) and new ones are accepted and never answered; `restore()` forwards connections on
 * the same port again.
 */
export class TcpProxy {
  private server: Server | undefined;
  private stalled = false;
  private readonly sockets = new Set<Socket>();
  /** Each forwarded connection: the client's socket and ours to the target. */
  private readonly links = new Set<[Socket, Socket]>();
  /** Connections accepted so far. */
  connections = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    public port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, 0);
    await proxy.restore();
    return proxy;
  }

  /** Forwards connections (again) on the proxy's port. */
  async restore(): Promise<void> {
    if (this.stalled) {
      this.stalled = false;
      this.dropAll();
      return;
    }
    const server = createServer((client) => {
      this.connections++;
      this.track(client);
      if (this.stalled) return; // held open, never answered
      const upstream = connect(this.target.port, this.target.host);
      this.track(upstream);
      const link: [Socket, Socket] = [client, upstream];
      this.links.add(link);
      upstream.on('close', () => this.links.delete(link));
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Forwards nothing until `restore()`: see the class comment. */
  stall(options: { dropOpen: boolean }): void {
    this.stalled = true;
    if (options.dropOpen) return this.dropAll();
    for (const [client, upstream] of this.links) {
      client.unpipe(upstream);
      upstream.unpipe(client);
    }
  }

  /** Drops every connection and refuses new ones until `restore()`. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.stalled = false;
    this.dropAll();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}
