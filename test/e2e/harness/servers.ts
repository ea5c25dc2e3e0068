/**
 * Servers for browser tests: the real SFU (in-process, serving the built client from dist/web),
 * and a plain static server for UI states that need a page without a signalling server.
 * `ensureWebBuild()` rebuilds dist/web when web/ or shared/ sources are newer than the build.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../sfu/config.js';
import { Sfu } from '../../../sfu/Sfu.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const WEB_ROOT = path.join(ROOT, 'dist/web');

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function ensureWebBuild(): void {
  const index = path.join(WEB_ROOT, 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = Math.max(newest(path.join(ROOT, 'web')), newest(path.join(ROOT, 'shared')));
  if (built >= sources && process.env.BLINDCALL_E2E_REBUILD !== '1') return;
  execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

/** A WebRtcServer port range per SFU so back-to-back tests never race on a port. */
let nextRtcPort = 41000 + Math.floor(Math.random() * 500) * 4;

export interface SfuOptions {
  /** Fixed HTTP port (to restart a server on the same address); 0 picks a free one. */
  readonly port?: number;
  readonly rtcPort?: number;
  readonly env?: Record<string, string>;
}

export interface TestSfu {
  readonly sfu: Sfu;
  readonly url: string;
  readonly port: number;
  readonly rtcPort: number;
  close(): Promise<void>;
}

export async function startSfu(options: SfuOptions = {}): Promise<TestSfu> {
  const rtcPort = options.rtcPort ?? nextRtcPort;
  if (options.rtcPort === undefined) nextRtcPort += 4;
  const sfu = await Sfu.start(
    loadConfig({
      PORT: String(options.port ?? 0),
      NUM_WORKERS: '1',
      RTC_PORT: String(rtcPort),
      WEB_ROOT: WEB_ROOT,
      LOG_LEVEL: 'warn',
      ...options.env,
    }),
  );
  const port = Number(new URL(sfu.url).port);
  return { sfu, url: sfu.url, port, rtcPort, close: () => sfu.close() };
}

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves dist/web with the app's route fallback, and nothing else (no signalling). */
export async function startStaticServer(root: string = WEB_ROOT): Promise<StaticServer> {
  const types: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css',
    '.map': 'application/json',
  };
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    let file = path.join(root, path.normalize(pathname));
    if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) {
      if (pathname.startsWith('/socket.io')) {
        res.writeHead(404).end();
        return;
      }
      file = path.join(root, 'index.html');
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
