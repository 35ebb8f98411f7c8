import net from 'node:net';

/** A TCP proxy to a NATS server that a test can cut (every connection) and pause. */
export interface TcpProxy {
  readonly port: number;
  /** Destroys every open connection (clients see the server drop them). */
  cut(): void;
  /** Refuses new connections (cut + close the listener) until `resume`. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  let listening: net.Server | null = server;
  const cut = (): void => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    port,
    cut,
    async pause() {
      cut();
      await new Promise<void>((resolve) => listening?.close(() => resolve()) ?? resolve());
      listening = null;
    },
    async resume() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      listening = server;
    },
    async close() {
      cut();
      if (listening !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
