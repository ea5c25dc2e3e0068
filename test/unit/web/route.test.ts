// Invite links: the secret lives only in the fragment, is 32 bytes, and every bad link is named.
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../../web/util/base64url.js';
import { readAddressBar } from '../../../web/util/addressBar.js';
import {
  createRoom,
  inviteLink,
  parseRoute,
  roomAddress,
  ROOM_SECRET_BYTES,
} from '../../../web/util/route.js';

describe('base64url', () => {
  it('round-trips every length and matches Node’s encoder', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 73 + n) & 0xff);
      const text = encodeBase64url(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(decodeBase64url(text)).toEqual(bytes);
    }
  });

  it('refuses non-alphabet characters, impossible lengths and non-canonical trailing bits', () => {
    expect(decodeBase64url('ab+c')).toBeNull();
    expect(decodeBase64url('abc=')).toBeNull();
    expect(decodeBase64url('abcde')).toBeNull();
    expect(decodeBase64url('AQ')).toEqual(new Uint8Array([1]));
    expect(decodeBase64url('AB')).toBeNull(); // 'B' leaves a non-zero spare bit
  });
});

describe('routes', () => {
  const secret = new Uint8Array(32).fill(1);
  const fragment = `#${encodeBase64url(secret)}`;

  it('parses home, a room with its secret, and unknown paths', () => {
    expect(parseRoute('/', '')).toEqual({ name: 'home' });
    expect(parseRoute('/r/room_1-A', fragment)).toEqual({
      name: 'room',
      roomId: 'room_1-A',
      secret,
    });
    expect(parseRoute('/r/room_1-A/', fragment)).toMatchObject({ name: 'room' });
    expect(parseRoute('/nope', '')).toEqual({ name: 'not-found' });
    expect(parseRoute('/r/bad%20id', fragment)).toEqual({ name: 'not-found' });
    expect(parseRoute(`/r/${'x'.repeat(65)}`, fragment)).toEqual({ name: 'not-found' });
  });

  it('names a link without a secret and one with a damaged secret', () => {
    expect(parseRoute('/r/abc', '')).toEqual({
      name: 'room-without-secret',
      roomId: 'abc',
      problem: 'missing',
    });
    expect(parseRoute('/r/abc', '#')).toMatchObject({ problem: 'missing' });
    expect(parseRoute('/r/abc', '#short')).toMatchObject({ problem: 'malformed' });
    expect(parseRoute('/r/abc', `#${encodeBase64url(new Uint8Array(31))}`)).toMatchObject({
      problem: 'malformed',
    });
    expect(parseRoute('/r/abc', `${fragment}!`)).toMatchObject({ problem: 'malformed' });
  });

  it('parses the room and its secret from the fragment of `/`', () => {
    const encoded = encodeBase64url(secret);
    expect(parseRoute('/', `#r/room_1-A/${encoded}`)).toEqual({
      name: 'room',
      roomId: 'room_1-A',
      secret,
    });
    expect(parseRoute('/', '#r/room_1-A')).toEqual({
      name: 'room-without-secret',
      roomId: 'room_1-A',
      problem: 'missing',
    });
    expect(parseRoute('/', '#r/room_1-A/')).toMatchObject({ problem: 'missing' });
    expect(parseRoute('/', '#r/room_1-A/short')).toMatchObject({ problem: 'malformed' });
    expect(parseRoute('/', `#r/room_1-A/${encoded}/more`)).toEqual({ name: 'not-found' });
    expect(parseRoute('/', `#r/bad%20id/${encoded}`)).toEqual({ name: 'not-found' });
    expect(parseRoute('/', '#r/')).toEqual({ name: 'not-found' });
    expect(parseRoute('/', '#elsewhere')).toEqual({ name: 'not-found' });
  });

  it('takes the secret out of the address bar and keeps it in memory for the room', () => {
    const replaced: string[] = [];
    const replace = (url: string): number => replaced.push(url);
    const encoded = encodeBase64url(secret);
    const route = readAddressBar({ pathname: '/', hash: `#r/roomA/${encoded}` }, replace);
    expect(route).toEqual({ name: 'room', roomId: 'roomA', secret });
    expect(replaced).toEqual(['/#r/roomA']);
    // Reading the cleaned address again (hashchange, navigation) still finds the room's secret…
    expect(readAddressBar({ pathname: '/', hash: '#r/roomA' }, replace)).toEqual(route);
    // …but not another room's, and an old-style link is cleaned the same way.
    expect(readAddressBar({ pathname: '/', hash: '#r/roomB' }, replace)).toMatchObject({
      name: 'room-without-secret',
    });
    readAddressBar({ pathname: '/r/roomC', hash: `#${encoded}` }, replace);
    expect(replaced).toEqual(['/#r/roomA', '/#r/roomC']);
    expect(replaced.some((u) => u.includes(encoded))).toBe(false);
  });

  it('keeps the query string (the page switches, no secret) when it cleans the address bar', () => {
    const replaced: string[] = [];
    const encoded = encodeBase64url(secret);
    readAddressBar(
      { pathname: '/', search: '?keys=mls&ice=relay', hash: `#r/roomQ/${encoded}` },
      (url) => replaced.push(url),
    );
    expect(replaced).toEqual(['/?keys=mls&ice=relay#r/roomQ']);
  });

  it('creates rooms whose link round-trips, with fresh random ids and secrets', () => {
    const a = createRoom();
    const b = createRoom();
    expect(a.secret).toHaveLength(ROOM_SECRET_BYTES);
    expect(a.roomId).not.toBe(b.roomId);
    expect(a.secret).not.toEqual(b.secret);
    const url = new URL(inviteLink('https://call.example', a));
    expect(url.search).toBe('');
    // The page request names no room: only the fragment does.
    expect(url.pathname).toBe('/');
    expect(url.hash.startsWith(`#r/${a.roomId}/`)).toBe(true);
    expect(roomAddress(a.roomId)).toBe(`/#r/${a.roomId}`);
    expect(parseRoute(url.pathname, url.hash)).toEqual({
      name: 'room',
      roomId: a.roomId,
      secret: a.secret,
    });
  });
});
