/**
 * Hosting the client: the security headers on every response (from the SFU and from the
 * standalone client server), and the SFU's origin allowlist for signalling (CORS for HTTP, the
 * handshake's Origin check for WebSocket, where browsers apply no CORS).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../sfu/config.js';
import { ClientServer } from '../../sfu/http/ClientServer.js';
import type { Sfu } from '../../sfu/Sfu.js';
import { startSfu } from './harness/sfu.js';

let sfu: Sfu | undefined;
let client: ClientServer | undefined;
afterEach(async () => {
  await sfu?.close();
  await client?.close();
  sfu = undefined;
  client = undefined;
});

function webRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'web-'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'assets', 'a.js'), 'export {}');
  return root;
}

/** CSP header → directive → its sources. */
function csp(header: string | null): Map<string, string[]> {
  expect(header, 'content-security-policy header').toBeTruthy();
  return new Map(
    header!.split(';').map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

function expectStrictHeaders(res: Response, what: string, connect: string[]): void {
  const h = res.headers;
  const policy = csp(h.get('content-security-policy'));
  expect(policy.get('default-src'), what).toEqual(["'none'"]);
  expect(policy.get('script-src'), `${what}: script-src (no inline, no eval)`).toEqual(["'self'"]);
  expect(policy.get('worker-src'), what).toEqual(["'self'", 'blob:']);
  expect(policy.get('connect-src'), what).toEqual(["'self'", ...connect]);
  expect(policy.get('object-src'), what).toEqual(["'none'"]);
  expect(policy.get('frame-ancestors'), what).toEqual(["'none'"]);
  expect(policy.get('base-uri'), what).toEqual(["'none'"]);
  expect(h.get('referrer-policy'), what).toBe('no-referrer');
  expect(h.get('permissions-policy'), what).toMatch(
    /^camera=\(self\), microphone=\(self\), display-capture=\(self\), geolocation=\(\)/,
  );
  expect(h.get('cross-origin-opener-policy'), what).toBe('same-origin');
  expect(h.get('x-content-type-options'), what).toBe('nosniff');
}

describe('client headers', () => {
  it('the SFU sends every header on pages, assets and errors; connect-src is only itself', async () => {
    sfu = await startSfu({ WEB_ROOT: webRoot() });
    for (const p of ['/', '/assets/a.js', '/missing.js', '/r/abc', '/config.json']) {
      expectStrictHeaders(await fetch(sfu.url + p), p, []);
    }
    // config.json `{}`: the client signals to the origin it was served from.
    expect(await (await fetch(`${sfu.url}/config.json`)).json()).toEqual({});
    expectStrictHeaders(await fetch(sfu.url + '/', { method: 'POST' }), 'POST /', []);
  });

  it('the client server names only its SFU in connect-src and serves config.json', async () => {
    client = await ClientServer.start({ root: webRoot(), sfuUrl: 'https://sfu.example:8443' });
    const sfus = ['https://sfu.example:8443', 'wss://sfu.example:8443'];
    for (const p of ['/', '/assets/a.js', '/config.json', '/nope.js']) {
      expectStrictHeaders(await fetch(client.url + p), p, sfus);
    }
    const config = await fetch(`${client.url}/config.json`);
    expect(await config.json()).toEqual({ sfu: 'https://sfu.example:8443' });
    // The room is in the fragment: the one page request is the same for every room.
    expect(await (await fetch(`${client.url}/`)).text()).toContain('<title>app</title>');
  });
});

describe('origin allowlist', () => {
  const allowed = 'http://127.0.0.1:5999';
  const unlisted = 'http://127.0.0.1:6999';

  function polling(origin: string | undefined): Promise<Response> {
    return fetch(`${sfu!.url}/socket.io/?EIO=4&transport=polling`, {
      headers: origin ? { origin } : {},
    });
  }

  /** 'connected', or the connect error's message. */
  function websocket(origin: string): Promise<string> {
    const socket = io(sfu!.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin },
    });
    return new Promise((resolve) => {
      socket.once('connect', () => {
        socket.close();
        resolve('connected');
      });
      socket.once('connect_error', (err) => {
        socket.close();
        resolve(err.message);
      });
    });
  }

  it('accepts listed origins and its own, refuses others, over polling and WebSocket', async () => {
    sfu = await startSfu({ ALLOWED_ORIGINS: `${allowed}, https://call.example` });
    const ok = await polling(allowed);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(allowed);
    expect((await polling(sfu.url)).status).toBe(200); // a page of the SFU itself
    expect((await polling(undefined)).status).toBe(200); // not a browser
    const refused = await polling(unlisted);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    expect(await websocket(allowed)).toBe('connected');
    expect(await websocket(unlisted)).not.toBe('connected');
    expect(sfu.origins.refused).toBe(2);
  });

  it('without ALLOWED_ORIGINS only the SFU’s own pages may signal', async () => {
    sfu = await startSfu();
    expect((await polling(allowed)).status).toBe(403);
    expect((await polling(sfu.url)).status).toBe(200);
    expect(await websocket(allowed)).not.toBe('connected');
  });

  it('rejects a malformed ALLOWED_ORIGINS naming the variable', () => {
    for (const bad of ['call.example', 'https://call.example/', 'ftp://x.example', 'https://a b']) {
      let error: unknown;
      try {
        loadConfig({ ALLOWED_ORIGINS: bad });
      } catch (err) {
        error = err;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe('ALLOWED_ORIGINS');
    }
    expect(
      loadConfig({ ALLOWED_ORIGINS: 'https://a.example,http://127.0.0.1:8080' }),
    ).toMatchObject({ allowedOrigins: ['https://a.example', 'http://127.0.0.1:8080'] });
  });
});
