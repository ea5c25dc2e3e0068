/**
 * A static server for the web client alone, on an origin of its own (docs/hosting.md, "separate
 * static origin"): the built files with the client's security headers, whose CSP lets signalling
 * go only to the named SFU, and `/config.json` telling the client which SFU that is. It never
 * sees a room: every room's page is the same `GET /` (the room is in the fragment).
 *
 * `npm run serve-client` runs it; the cross-origin browser test uses it as the second origin.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientHeaders } from './clientHeaders.js';
import { StaticFiles } from './StaticFiles.js';

export interface ClientServerOptions {
  /** Directory of the built client (dist/web). */
  readonly root: string;
  /** The SFU's origin, e.g. https://sfu.example; settable later (`server.sfuUrl = …`). */
  readonly sfuUrl: string;
  readonly host?: string;
  readonly port?: number;
}

export class ClientServer {
  readonly server: http.Server;
  sfuUrl: string;
  url = '';

  private constructor(private readonly options: ClientServerOptions) {
    this.sfuUrl = new URL(options.sfuUrl).origin;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  static async start(options: ClientServerOptions): Promise<ClientServer> {
    const s = new ClientServer(options);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
    });
    const { address, port } = s.server.address() as AddressInfo;
    s.url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    return s;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const headers = clientHeaders([this.sfuUrl]);
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname === '/config.json') {
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'cache-control': 'no-cache',
          ...headers,
        })
        .end(JSON.stringify({ sfu: this.sfuUrl }));
      return;
    }
    await new StaticFiles(this.options.root, headers).serve(req, res, pathname);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
