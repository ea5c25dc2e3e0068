/**
 * The SFU's HTTP surface: /healthz, Prometheus /metrics, the web client's routes and the
 * placeholder page, path traversal, and config errors.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { version as mediasoupVersion } from 'mediasoup';
import { ConfigError, loadConfig } from '../../sfu/config.js';
import type { Sfu } from '../../sfu/Sfu.js';
import { joinRoom, startSfu, TestClient } from './harness/sfu.js';

let sfu: Sfu | undefined;
afterEach(async () => {
  await sfu?.close();
  sfu = undefined;
});

describe('http', () => {
  it('answers /healthz and /metrics with live counts', async () => {
    sfu = await startSfu();
    const health = await fetch(`${sfu.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'ok',
      workers: 1,
      rooms: 0,
      node: process.version,
      mediasoup: mediasoupVersion,
    });

    const c = await TestClient.connect(sfu);
    await joinRoom(sfu, c, 'metrics-room');
    await c.ok('createTransport', { direction: 'recv' });
    await c.raw('nope', {});
    const metrics = await (await fetch(`${sfu.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE blindcall_rooms gauge');
    expect(metrics).toMatch(/^blindcall_rooms 1$/m);
    expect(metrics).toMatch(/^blindcall_peers 1$/m);
    expect(metrics).toMatch(/^blindcall_transports 1$/m);
    expect(metrics).toMatch(/^blindcall_producers 0$/m);
    expect(metrics).toMatch(/^blindcall_consumers 0$/m);
    expect(metrics).toMatch(/^blindcall_worker_cpu_seconds_total\{worker="0"\} [\d.]+$/m);
    expect(metrics).toMatch(/^blindcall_requests_refused_total\{code="UNKNOWN_EVENT"\} 1$/m);
    // Every family is ours, and nothing is labelled with a process id.
    for (const line of metrics.split('\n').filter((l) => l !== '' && !l.startsWith('#')))
      expect(line).toMatch(/^blindcall_/);
    expect(metrics).not.toContain('pid=');
    c.close();
  });

  it('serves the built client for app routes, 404 for unknown files and traversal', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'web-'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
    mkdirSync(path.join(root, 'assets'));
    writeFileSync(path.join(root, 'assets', 'a.js'), 'export {}');
    sfu = await startSfu({ WEB_ROOT: root });
    for (const p of ['/', '/r/abc_DEF-1']) {
      const res = await fetch(sfu.url + p);
      expect(res.status, p).toBe(200);
      expect(await res.text()).toContain('<title>app</title>');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const js = await fetch(`${sfu.url}/assets/a.js`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${sfu.url}/missing.js`)).status).toBe(404);
    expect((await fetch(`${sfu.url}/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
    expect((await fetch(`${sfu.url}/r/bad%20id`)).status).toBe(404);
  });

  it('serves a placeholder page when the client is not built', async () => {
    sfu = await startSfu({ WEB_ROOT: '/nonexistent' });
    const res = await fetch(sfu.url + '/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('npm run build');
  });
});

/** Runs the container healthcheck (sfu/healthcheck.ts) with `env`; resolves with its exit code. */
function healthcheck(env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.resolve(import.meta.dirname, '../../sfu/healthcheck.ts')],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (err) => resolve(err ? Number((err as { code?: number }).code ?? 1) : 0),
    );
  });
}

describe('container healthcheck', () => {
  it('speaks HTTPS to a TLS server, HTTP to a plain one, and fails when nothing answers', async () => {
    sfu = await startSfu({ TLS: 'self-signed' });
    const port = new URL(sfu.url).port;
    expect(sfu.url).toMatch(/^https:/);
    // The same environment the server was started with, HOST as in the image (every address).
    expect(await healthcheck({ HOST: '0.0.0.0', PORT: port, TLS: 'self-signed' })).toBe(0);
    // Plain HTTP to a TLS port is what the old healthcheck did: it fails.
    expect(await healthcheck({ HOST: '0.0.0.0', PORT: port })).toBe(1);
    await sfu.close();
    sfu = await startSfu();
    const plainPort = new URL(sfu.url).port;
    expect(await healthcheck({ HOST: '127.0.0.1', PORT: plainPort })).toBe(0);
    await sfu.close();
    sfu = undefined;
    expect(await healthcheck({ HOST: '127.0.0.1', PORT: plainPort })).toBe(1);
  });
});

describe('config', () => {
  it('rejects bad values with an error naming the variable', () => {
    const bad: [Record<string, string>, string][] = [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ NUM_WORKERS: '0' }, 'NUM_WORKERS'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ TLS_CERT: '/x.crt' }, 'TLS_KEY'],
      [{ TLS: 'maybe' }, 'TLS'],
      [{ RTC_LISTEN_IP: 'not-an-ip' }, 'RTC_LISTEN_IP'],
    ];
    for (const [env, variable] of bad) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(ConfigError);
      try {
        loadConfig(env);
      } catch (err) {
        expect((err as ConfigError).variable).toBe(variable);
      }
    }
  });

  it('has documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      rtcPort: 40000,
      announcedAddress: '127.0.0.1',
      maxPeersPerRoom: 50,
      tls: null,
      logLevel: 'info',
      testHooks: false,
    });
    expect(c.numWorkers).toBe(os.availableParallelism());
  });
});
