/**
 * Serves the built web client: files under the web root, and index.html for the app's routes
 * (`/`, and older links `/r/<roomId>`), every response with the client's security headers
 * (clientHeaders.ts). Paths are resolved inside the root only. A placeholder page answers when
 * the client has not been built. Used by the SFU and by the standalone client server.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { clientHeaders } from './clientHeaders.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};

const PLACEHOLDER = `<!doctype html><meta charset="utf-8"><title>blindcall</title>
<p>The SFU is running, but the web client has not been built. Run <code>npm run build</code>.</p>`;

export class StaticFiles {
  private readonly root: string;

  /** `headers`: sent with every response (clientHeaders()). */
  constructor(
    root: string,
    private readonly headers: Record<string, string> = clientHeaders(),
  ) {
    this.root = path.resolve(root);
  }

  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', ...this.headers }).end();
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      // A broken percent-escape ("/%E0%A4%A") is the client's mistake, not a server error.
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: malformed URL');
      return;
    }
    let file = path.resolve(this.root, '.' + decoded);
    if (file !== this.root && !file.startsWith(this.root + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    let info = await stat(file).catch(() => null);
    if (pathname === '/config.json' && !info?.isFile()) {
      // The client asks which SFU to use; `{}` means this server, its own origin.
      res
        .writeHead(200, {
          'content-type': TYPES['.json'],
          'cache-control': 'no-cache',
          ...this.headers,
        })
        .end('{}');
      return;
    }
    const isAppRoute = pathname === '/' || /^\/r\/[A-Za-z0-9_-]{1,64}\/?$/.test(pathname);
    if (!info?.isFile()) {
      if (!isAppRoute && !(info?.isDirectory() ?? false)) {
        res.writeHead(404, { 'content-type': 'text/plain', ...this.headers }).end('not found');
        return;
      }
      file = path.join(this.root, 'index.html');
      info = await stat(file).catch(() => null);
      if (!info?.isFile()) {
        res.writeHead(200, { 'content-type': TYPES['.html'], ...this.headers }).end(PLACEHOLDER);
        return;
      }
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      'content-type': type,
      'content-length': info.size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...this.headers,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }
}
