/**
 * Serves the built web client: files under the web root, and index.html for the app's routes
 * (`/`, `/r/<roomId>`). Paths are resolved inside the root only. A placeholder page answers when
 * the client has not been built.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

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

/** Headers for every page: no referrer (the link's fragment never leaves, but be strict anyway). */
const SECURITY_HEADERS = {
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(self), microphone=(self), display-capture=(self)',
};

export class StaticFiles {
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
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
    const isAppRoute = pathname === '/' || /^\/r\/[A-Za-z0-9_-]{1,64}\/?$/.test(pathname);
    if (!info?.isFile()) {
      if (!isAppRoute && !(info?.isDirectory() ?? false)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      file = path.join(this.root, 'index.html');
      info = await stat(file).catch(() => null);
      if (!info?.isFile()) {
        res
          .writeHead(200, { 'content-type': TYPES['.html'], ...SECURITY_HEADERS })
          .end(PLACEHOLDER);
        return;
      }
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      'content-type': type,
      'content-length': info.size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }
}
