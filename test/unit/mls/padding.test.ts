// Lengths the server sees: application messages pad to five sizes, and a credential's name field is
// always 256 bytes, so neither chat nor names can be told apart by length.
import { describe, expect, it } from 'vitest';
import { decodeCredential, encodeCredential, MlsLayerError } from '../../../shared/mls/index.js';
import { APP_BUCKETS, bucketFor, pad, unpad } from '../../../shared/mls/padding.js';

const bytes = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

describe('application message padding', () => {
  it('pads to the smallest bucket above the length, and back', () => {
    expect([0, 1, 255, 256, 1023, 4095, 16383, 32767].map((n) => pad(bytes(n)).length)).toEqual([
      256, 256, 256, 1024, 1024, 4096, 16384, 32768,
    ]);
    for (const n of [0, 1, 200, 255, 256, 5000]) expect(unpad(pad(bytes(n)))).toEqual(bytes(n));
    // Trailing zeros of the plaintext survive: the 0x80 marker ends it.
    expect(unpad(pad(new Uint8Array([1, 0, 0])))).toEqual(new Uint8Array([1, 0, 0]));
  });

  it('refuses what does not fit, what is not a bucket long, and bad padding', () => {
    expect(() => bucketFor(APP_BUCKETS.at(-1)!)).toThrow(MlsLayerError);
    expect(() => unpad(bytes(300))).toThrow(/not a bucket/);
    expect(() => unpad(new Uint8Array(256))).toThrow(/bad padding/);
    const p = pad(bytes(10));
    p[10] = 0x81;
    expect(() => unpad(p)).toThrow(/bad padding/);
  });
});

describe('credential', () => {
  it('has one length whatever the name, and round-trips', () => {
    const names = ['', 'Al', 'Bartholomew Featherstonehaugh-Cholmondeley', 'Zoë 🦊'.repeat(20)];
    const encoded = names.map((displayName) => encodeCredential({ peerId: 'p1abc', displayName }));
    expect(new Set(encoded.map((e) => e.length)).size).toBe(1);
    expect(encoded.map((e) => decodeCredential(e)?.displayName)).toEqual(names);
  });

  it('refuses bytes after the name that are not zero, and other lengths', () => {
    const e = encodeCredential({ peerId: 'p1abc', displayName: 'Al' });
    const tampered = e.slice();
    tampered[tampered.length - 1] = 1;
    expect(decodeCredential(tampered)).toBeNull();
    expect(decodeCredential(e.subarray(0, e.length - 1))).toBeNull();
    expect(() => encodeCredential({ peerId: 'p1abc', displayName: 'x'.repeat(257) })).toThrow(
      MlsLayerError,
    );
  });
});
