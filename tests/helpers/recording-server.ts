import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  body?: string;
}

/**
 * A real HTTP server on 127.0.0.1 that records every request with its body and answers through `respond`:
 * a WebSub hub receiving pings, or a subscriber's callback receiving verifications and content.
 */
export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  respond: (req: RecordedRequest) => Answer = () => ({ status: 204 });
  #server: Server | undefined;
  #base = '';

  get base(): string {
    return this.#base;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const recorded = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', this.#base), headers: req.headers, body: Buffer.concat(chunks) };
        this.requests.push(recorded);
        const answer = this.respond(recorded);
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Requests of one method, as form fields when the body is form-encoded. */
  forms(method = 'POST'): URLSearchParams[] {
    return this.requests.filter((r) => r.method === method).map((r) => new URLSearchParams(r.body.toString('utf8')));
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
