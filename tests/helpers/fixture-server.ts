import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type FixtureRoute = FixtureResponse | ((req: IncomingMessage, res: ServerResponse) => void | FixtureResponse);

/**
 * A real HTTP server on 127.0.0.1 (or another loopback address: Linux answers all of 127.0.0.0/8) serving
 * fixture documents; routes can be swapped between fetch cycles.
 */
export class FixtureServer {
  readonly routes = new Map<string, FixtureRoute>();
  readonly requests: { path: string; headers: IncomingMessage['headers'] }[] = [];
  #server: Server | undefined;
  #base = '';

  get base(): string {
    return this.#base;
  }

  url(path: string): string {
    return `${this.#base}${path}`;
  }

  async start(host = '127.0.0.1'): Promise<this> {
    this.#server = createServer((req, res) => {
      const path = req.url ?? '/';
      this.requests.push({ path, headers: req.headers });
      const route = this.routes.get(path);
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such fixture');
        return;
      }
      const answer = typeof route === 'function' ? route(req, res) : route;
      if (!answer) return; // the handler answered itself
      const body = answer.body ?? '';
      res.writeHead(answer.status ?? 200, { 'content-length': Buffer.byteLength(body), ...answer.headers });
      res.end(body);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, host, resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.#base = `http://${host}:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
