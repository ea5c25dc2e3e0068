/**
 * Servers for browser tests: the real SFU (in-process, serving the built client from dist/web),
 * and a plain static server for UI states that need a page without a signalling server.
 * `ensureWebBuild()` rebuilds dist/web when web/ or shared/ sources are newer than the build.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../sfu/config.js';
import { Sfu } from '../../../sfu/Sfu.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BUILDS = path.join(ROOT, '.cache', 'e2e-web');

/** Source files the web build depends on, in a stable order. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(path.join(ROOT, 'web'));
  walk(path.join(ROOT, 'shared'));
  out.push(path.join(ROOT, 'package-lock.json'));
  return out;
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles()) {
    hash.update(path.relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds the web client for tests into `.cache/e2e-web/<hash of its sources>/` and returns that
 * directory. A build is never rewritten in place: several test runs (and engineers) can run at
 * once, and a page of one run must not lose its worker script to another run's rebuild. The
 * build is made in a temporary directory and renamed into place when complete.
 */
export function ensureWebBuild(): string {
  const dir = path.join(BUILDS, sourceHash());
  if (existsSync(path.join(dir, 'index.html'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  execFileSync(
    'npx',
    [
      'vite',
      'build',
      '--config',
      'web/vite.config.ts',
      '--outDir',
      tmp,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    // Vite picks Lit's production build from NODE_ENV; vitest sets it to "test".
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another run finished the same build first
  }
  pruneOldBuilds(dir);
  return dir;
}

/** Removes test builds untouched for a day (never the current one). */
function pruneOldBuilds(keep: string): void {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(BUILDS)) {
    const p = path.join(BUILDS, name);
    if (p !== keep && statSync(p).mtimeMs < dayAgo) rmSync(p, { recursive: true, force: true });
  }
}

/**
 * A WebRtcServer port range per SFU so back-to-back tests never race on a port: 20000-27999,
 * below Linux's ephemeral range (32768-60999), where the browsers' own connections take ports
 * (CI once failed on "address already in use" at 41928), and apart from the integration tests'.
 */
let nextRtcPort = 20000 + Math.floor(Math.random() * 1500) * 4;

export interface SfuOptions {
  /** Directory with the built client; defaults to `ensureWebBuild()`'s. */
  readonly webRoot?: string;
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
      // BLINDCALL_E2E_WORKERS=2 runs the calls across two workers (peers placed on both, media
      // through pipes); one worker by default keeps the suite light on small machines.
      NUM_WORKERS: process.env.BLINDCALL_E2E_WORKERS ?? '1',
      RTC_PORT: String(rtcPort),
      WEB_ROOT: options.webRoot ?? ensureWebBuild(),
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
export async function startStaticServer(root: string = ensureWebBuild()): Promise<StaticServer> {
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
