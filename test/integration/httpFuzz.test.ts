/**
 * HTTP fuzz against a real SFU: random request targets (broken percent-escapes, "//", dot
 * segments, NUL, unicode, app routes, huge query strings) and methods, written raw on a TCP socket
 * so nothing normalizes them first. Every answer is a 2xx/4xx, never a 5xx, and the server stays
 * healthy. Seeded (FUZZ_SEED).
 */
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sfu } from '../../sfu/Sfu.js';
import { fuzzScale, fuzzSeed } from '../fuzz/seed.js';
import { startSfu } from './harness/sfu.js';

let sfu: Sfu;
let port: number;
beforeAll(async () => {
  sfu = await startSfu();
  port = Number(new URL(sfu.url).port);
});
afterAll(async () => {
  await sfu.close();
});

/** Sends one raw HTTP/1.1 request; resolves with the status code (0 if the server just closed). */
function rawRequest(method: string, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve(m ? Number(m[1]) : 0);
    });
    // write, not end: a half-closed client may see its connection dropped before the answer.
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      'latin1',
    );
  });
}

const piece = fc.oneof(
  fc.constantFrom(
    '/',
    '//',
    '/..',
    '/.',
    '%',
    '%2',
    '%zz',
    '%E0%A4%A',
    '%2e%2e',
    '%00',
    '%2F',
    'r',
    'é',
    '\u00ff',
  ),
  fc.constantFrom(
    '/r/abc',
    '/r/abc/',
    '/healthz',
    '/metrics',
    '/index.html',
    '/assets/x.js',
    '/socket.io/',
  ),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.~!$&()*+,;=:@%/'), maxLength: 12 }),
);
const target = fc
  .tuple(
    fc.array(piece, { maxLength: 8 }),
    fc.oneof(
      fc.constant(''),
      fc.string({ unit: fc.constantFrom(...'a=&%zz?#[]'), maxLength: 20 }).map((q) => `?${q}`),
      fc.integer({ min: 100, max: 6000 }).map((n) => `?q=${'x'.repeat(n)}`),
    ),
  )
  .map(([parts, q]) => {
    const t = parts.join('') + q;
    return t.startsWith('/') ? t : `/${t}`;
  });
const method = fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS');

describe('http fuzz', () => {
  it.each(['//', '//[::1', '/%E0%A4%A', '/r/%zz', '/%'])(
    'answers %s with 400, not 500',
    async (t) => {
      expect(await rawRequest('GET', t)).toBe(400);
    },
  );

  it('answers every request target with a 2xx or 4xx and stays healthy', async () => {
    const seed = fuzzSeed('http fuzz');
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(method, target, async (m, t) => {
        const status = await rawRequest(m, t);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status >= 200 && status < 500, `${m} ${t.slice(0, 200)} → ${status}`).toBe(true);
      }),
      { seed, numRuns: fuzzScale(1500) },
    );
    console.log(`[fuzz] http fuzz: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    const health = await fetch(`${sfu.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
