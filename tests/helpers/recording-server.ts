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
  headers?: Record<string, string>;
}

/**
 * A real HTTP server on 127.0.0.1 (or another loopback address) that records every request with its body and
 * answers through `respond`: a WebSub hub receiving pings, or a subscriber's callback receiving verifications
 * and content. `respond` returning undefined never answers: a callback that accepts and then hangs.
 */
export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  respond: (req: RecordedRequest) => Answer | undefined = () => ({ status: 204 });
  /** answers only after this long (a slow subscriber) */
  answerAfterMs = 0;
  #server: Server | undefined;
  #base = '';

  get base(): string {
    return this.#base;
  }

  get port(): number {
    return (this.#server!.address() as AddressInfo).port;
  }

  async start(host = '127.0.0.1'): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const recorded = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', this.#base), headers: req.headers, body: Buffer.concat(chunks) };
        this.requests.push(recorded);
        const answer = this.respond(recorded);
        if (!answer) return;
        const send = () => {
          res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
          res.end(answer.body ?? '');
        };
        if (this.answerAfterMs > 0) setTimeout(send, this.answerAfterMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, host, resolve));
    this.#base = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
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
