// Invite-link fuzz: random and hostile paths, fragments (wrong lengths, wrong alphabet, padding,
// huge) and query strings into parseRoute. It never throws, it accepts exactly the canonical
// 32-byte secret, names every other fragment as 'missing' or 'malformed', and the query string
// never changes the outcome (the secret is never read from it). Seeded (FUZZ_SEED).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ID_MAX_LENGTH, ID_PATTERN } from '../../../shared/protocol/messages.js';
import { encodeBase64url } from '../../../web/util/base64url.js';
import { parseRoute, ROOM_SECRET_BYTES } from '../../../web/util/route.js';
import { fuzzScale, fuzzSeed } from '../../fuzz/seed.js';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64char = fc.constantFrom(...B64URL);
const anyChar = fc.oneof(
  b64char,
  fc.constantFrom('+', '/', '=', '%', ' ', '#', '?', '\u0000', 'é'),
);

const fragment = fc.oneof(
  fc.constant(''),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeBase64url), // valid
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map(encodeBase64url), // wrong lengths
  fc.string({ unit: b64char, minLength: 40, maxLength: 46 }), // near misses
  fc.string({ unit: anyChar, maxLength: 60 }), // wrong alphabet
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((s) => `${encodeBase64url(s)}=`),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'A'.repeat(n)), // huge
  fc.string({ maxLength: 80 }),
);
const roomId = fc.oneof(
  fc.string({ unit: fc.constantFrom(...B64URL), minLength: 1, maxLength: 70 }),
  fc.string({ maxLength: 20 }),
);
const pathname = fc.oneof(
  fc.constantFrom('/', '', '/r', '/r/', '/r//', '/x/abc', '/r/abc/def'),
  roomId.map((id) => `/r/${id}`),
  roomId.map((id) => `/r/${id}/`),
  fc.string({ maxLength: 100 }).map((s) => `/${s}`),
);
const query = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('%', '%zz', 'a=%E0%A4%A', 'secret=AAAA', '&&&==', '??'),
  fc.integer({ min: 1000, max: 50_000 }).map((n) => `q=${'x'.repeat(n)}`),
);

describe('invite link fuzz', () => {
  const seed = fuzzSeed('invite link fuzz');

  it('names every link: home, room with a canonical 32-byte secret, missing/malformed, not-found', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(pathname, fragment, fc.boolean(), (path, frag, hashSign) => {
        const hash = hashSign ? `#${frag}` : frag;
        const route = parseRoute(path, hash);
        const given = hash.startsWith('#') ? hash.slice(1) : hash;
        const key =
          route.name === 'room-without-secret' ? `${route.name}:${route.problem}` : route.name;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if (route.name === 'room' || route.name === 'room-without-secret') {
          expect(route.roomId.length).toBeLessThanOrEqual(ID_MAX_LENGTH);
          expect(ID_PATTERN.test(route.roomId)).toBe(true);
        }
        if (route.name === 'room') {
          expect(route.secret).toHaveLength(ROOM_SECRET_BYTES);
          expect(encodeBase64url(route.secret)).toBe(given); // only the canonical form
        }
        if (route.name === 'room-without-secret')
          expect(route.problem).toBe(given === '' ? 'missing' : 'malformed');
      }),
      { seed, numRuns: fuzzScale(10_000) },
    );
    console.log(`[fuzz] invite link fuzz: ${JSON.stringify(Object.fromEntries(seen))}`);
    for (const k of [
      'home',
      'room',
      'room-without-secret:missing',
      'room-without-secret:malformed',
      'not-found',
    ])
      expect(seen.get(k), k).toBeGreaterThan(0);
  });

  it('never takes anything from the query string', () => {
    fc.assert(
      fc.property(roomId, fragment, query, (id, frag, q) => {
        fc.pre(!q.includes('#')); // a '#' ends the query and starts the fragment
        let withQuery: URL;
        let without: URL;
        try {
          withQuery = new URL(`https://call.example/r/${id}?${q}#${frag}`);
          without = new URL(`https://call.example/r/${id}#${frag}`);
        } catch {
          return; // not a URL a browser would open
        }
        expect(parseRoute(withQuery.pathname, withQuery.hash)).toEqual(
          parseRoute(without.pathname, without.hash),
        );
      }),
      { seed, numRuns: fuzzScale(2_000) },
    );
  });

  it('refuses a huge fragment without decoding it', () => {
    const huge = `#${'A'.repeat(20_000_000)}`;
    expect(parseRoute('/r/abc', huge)).toEqual({
      name: 'room-without-secret',
      roomId: 'abc',
      problem: 'malformed',
    });
  });
});
