// Padding of names and chat to fixed buckets: round trips, refusals, and that what the server sees
// (announcement and channel record lengths) is the same for short and long names and messages.
import { describe, expect, it } from 'vitest';
import {
  buildAnnouncement,
  MAX_DISPLAY_NAME_BYTES,
  readAnnouncement,
  verifyAnnouncement,
} from '../../../shared/e2ee/announcement.js';
import { Reader, WireError, utf8Encode } from '../../../shared/e2ee/bytes.js';
import { IdentityKey, createSessionKey } from '../../../shared/e2ee/identity.js';
import { bucketFor, CHAT_BUCKETS, NAME_BUCKETS, pad, unpad } from '../../../shared/e2ee/padding.js';
import { decodeRecords, encodeRecords, MAX_CHAT_BYTES } from '../../../shared/e2ee/records.js';
import { deriveRoomKeys } from '../../../shared/e2ee/roomSecret.js';
import { Rng } from './sim/rng.js';

describe('padding', () => {
  it('pads to the smallest bucket that fits the marker, and round-trips any bytes', () => {
    const rng = new Rng(21);
    for (const n of [0, 1, 30, 31, 32, 127, 128, 511, 2047, 3999, 4000]) {
      const text = rng.bytes(n);
      if (n > 0) text[n - 1] = 0; // trailing zeros in the plaintext survive
      const padded = pad(text, CHAT_BUCKETS);
      expect(padded.length, `${n}`).toBe(CHAT_BUCKETS.find((b) => b > n));
      expect(unpad(padded, CHAT_BUCKETS)).toEqual(text);
    }
    expect(bucketFor(31, CHAT_BUCKETS)).toBe(32);
    expect(bucketFor(32, CHAT_BUCKETS)).toBe(128);
    expect(pad(new Uint8Array(0), NAME_BUCKETS)).toHaveLength(129);
    expect(() => pad(new Uint8Array(4001), CHAT_BUCKETS)).toThrow(WireError);
    expect(() => pad(new Uint8Array(129), NAME_BUCKETS)).toThrow(WireError);
  });

  it('refuses lengths that are not buckets, a missing marker and non-zero fill', () => {
    const ok = pad(utf8Encode('hi'), CHAT_BUCKETS);
    expect(() => unpad(ok.slice(0, 31), CHAT_BUCKETS)).toThrow(WireError);
    expect(() => unpad(new Uint8Array(32), CHAT_BUCKETS)).toThrow(/bad padding/);
    const noMarker = ok.slice();
    noMarker[2] = 0x7f;
    expect(() => unpad(noMarker, CHAT_BUCKETS)).toThrow(/bad padding/);
    const fill = ok.slice();
    fill[31] = 1; // something after the marker other than zeros
    expect(() => unpad(fill, CHAT_BUCKETS)).toThrow(/bad padding/);
  });

  it('makes chat records of different lengths in a bucket the same size, and names all one size', () => {
    const chat = (text: string) => encodeRecords([{ kind: 'chat', sentAt: 1, text }]).length;
    expect(chat('ok')).toBe(chat('a sentence of thirty bytes....'));
    expect(chat('x'.repeat(40))).toBe(chat('x'.repeat(120)));
    expect(chat('x'.repeat(40))).toBeGreaterThan(chat('ok'));
    const name = (n: string) => encodeRecords([{ kind: 'displayName', name: n }]).length;
    expect(name('Al')).toBe(name('Maximiliane Alexandra von Hohenberg-Schwarzenbach'));
    expect(name('x'.repeat(MAX_DISPLAY_NAME_BYTES))).toBe(name('Al'));
    const round = decodeRecords(
      encodeRecords([
        { kind: 'chat', sentAt: 7, text: 'héllo\u0000' },
        { kind: 'displayName', name: 'Zoë' },
      ]),
    );
    expect(round).toEqual([
      { kind: 'chat', sentAt: 7, text: 'héllo\u0000' },
      { kind: 'displayName', name: 'Zoë' },
    ]);
    expect(() =>
      encodeRecords([{ kind: 'chat', sentAt: 1, text: 'x'.repeat(MAX_CHAT_BYTES + 1) }]),
    ).toThrow(WireError);
  });

  it('gives announcements of short and long names the same length, and still verifies them', async () => {
    const rng = new Rng(22);
    const room = deriveRoomKeys(rng.bytes(32), 'room-1');
    const lengths: number[] = [];
    for (const name of ['Al', 'Bartholomew Fitzgerald-Montgomery the Third', 'Zoë 🎉']) {
      const raw = await buildAnnouncement(
        room,
        'p1',
        IdentityKey.generate(rng.bytes),
        createSessionKey(rng.bytes),
        name,
      );
      lengths.push(raw.length);
      const v = await verifyAnnouncement(room, readAnnouncement(new Reader(raw), raw));
      expect(typeof v === 'string' ? v : v.displayName).toBe(name);
    }
    expect(new Set(lengths).size).toBe(1);
  });
});
