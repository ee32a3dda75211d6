// POSTs HTML forms (application/x-www-form-urlencoded) through node:http on kept-alive connections: for tests
// that send a hub thousands of subscription requests. fetch() costs about twice the CPU per request (undici and
// its web streams): profiled, it took two thirds of such a test's process, the hub's own work a tenth.
import { Agent, request } from 'node:http';

export interface FormReply {
  status: number;
  text: string;
  retryAfter: string | null;
}

/** One client's connections; close() when done, so that a service being stopped is not held open by them. */
export class FormClient {
  /** as many sockets as the widest flood of the tests sends at once */
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 32 });

  post(url: string, fields: Record<string, string>): Promise<FormReply> {
    return new Promise((resolve, reject) => {
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      const req = request(url, { method: 'POST', agent: this.#agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({
          status: res.statusCode!,
          text: Buffer.concat(chunks).toString('utf8'),
          retryAfter: res.headers['retry-after'] ?? null,
        }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(new URLSearchParams(fields).toString());
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
