// Chat and heartbeats as MLS application payloads: padded to a bucket, and read back only when
// they are exactly one well-formed message.
import { describe, expect, it } from 'vitest';
import { pad } from '../../../shared/mls/padding.js';
import { CHAT_MAX_CHARS, decodeApp, encodeApp } from '../../../web/call/mlsAppMessage.js';

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

describe('MLS application messages', () => {
  it('round-trips chat and heartbeats, padded so short and long lines share a size', () => {
    expect(decodeApp(encodeApp({ t: 'hb' }))).toEqual({ t: 'hb' });
    expect(decodeApp(encodeApp({ t: 'chat', text: 'hi 🦊' }))).toEqual({
      t: 'chat',
      text: 'hi 🦊',
    });
    expect(encodeApp({ t: 'chat', text: 'a' }).length).toBe(
      encodeApp({ t: 'chat', text: 'a'.repeat(200) }).length,
    );
    const longest = encodeApp({ t: 'chat', text: '\u0000'.repeat(CHAT_MAX_CHARS) });
    expect(decodeApp(longest)).toEqual({ t: 'chat', text: '\u0000'.repeat(CHAT_MAX_CHARS) });
  });

  it('carries a media announcement in the heartbeat, with the same padded size', () => {
    const media = { seq: 7, microphone: false, camera: true, screen: false };
    expect(decodeApp(encodeApp({ t: 'hb', media }))).toEqual({ t: 'hb', media });
    expect(encodeApp({ t: 'hb', media }).length).toBe(encodeApp({ t: 'hb' }).length);
    const bad = [
      { ...media, seq: -1 },
      { ...media, seq: 1.5 },
      { ...media, seq: '7' },
      { ...media, camera: 'yes' },
      { seq: 7, microphone: false, camera: true }, // a source missing
      { ...media, extra: 1 },
      null,
      [media],
    ];
    for (const m of bad)
      expect(decodeApp(pad(json({ t: 'hb', media: m }))), JSON.stringify(m)).toBeNull();
  });

  it('refuses unpadded, unknown, malformed and over-long messages', () => {
    expect(decodeApp(json({ t: 'hb' }))).toBeNull();
    expect(decodeApp(pad(json({ t: 'kick', who: 'x' })))).toBeNull();
    expect(decodeApp(pad(json({ t: 'chat', text: 5 })))).toBeNull();
    expect(decodeApp(pad(new Uint8Array([0xff, 0xfe])))).toBeNull();
    expect(decodeApp(pad(json('hb')))).toBeNull();
    expect(decodeApp(pad(json({ t: 'chat', text: 'x'.repeat(CHAT_MAX_CHARS + 1) })))).toBeNull();
  });
});
