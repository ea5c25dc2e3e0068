import { describe, expect, it } from 'vitest';
import {
  CipherSuite,
  SFrameContext,
  SFrameError,
  decodeHeader,
  encodeHeader,
  isVp8KeyFrame,
  makeKid,
  ratchetKey,
  vp8ClearBytes,
  type FrameLayout,
  type SFrameErrorCode,
} from '../../../shared/sframe/index.js';
import { fromHex } from '../../../shared/sframe/bytes.js';

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
const KEY_A = bytes(32, 7);
const KEY_B = bytes(32, 8);
const VP8_KEY = (() => {
  const f = bytes(200, 3);
  f[0] = f[0]! & 0xfe; // key frame: inverse key-frame bit clear
  return f;
})();
const VP8_DELTA = (() => {
  const f = bytes(120, 4);
  f[0] = f[0]! | 0x01;
  return f;
})();

async function pair(
  kid = makeKid(5, 0),
): Promise<{ tx: SFrameContext; rx: SFrameContext; kid: number }> {
  const tx = new SFrameContext();
  const rx = new SFrameContext();
  await tx.setSenderKey(kid, KEY_A);
  await rx.addReceiverKey(kid, KEY_A, 'alice');
  return { tx, rx, kid };
}

async function expectCode(p: Promise<unknown>, code: SFrameErrorCode): Promise<void> {
  await expect(p).rejects.toSatisfy((e: unknown) => e instanceof SFrameError && e.code === code);
}

describe('VP8 clear-prefix rule', () => {
  it('key frame iff bit 0 of byte 0 is clear; 10 or 3 clear bytes', () => {
    expect(isVp8KeyFrame(VP8_KEY)).toBe(true);
    expect(isVp8KeyFrame(VP8_DELTA)).toBe(false);
    expect(vp8ClearBytes(VP8_KEY)).toBe(10);
    expect(vp8ClearBytes(VP8_DELTA)).toBe(3);
  });
});

describe('SFrameContext round trips', () => {
  const cases: {
    name: string;
    frame: Uint8Array;
    layout: FrameLayout;
    rxLayout: FrameLayout;
    clear: number;
  }[] = [
    { name: 'vp8 key frame (auto)', frame: VP8_KEY, layout: 'vp8', rxLayout: 'vp8', clear: 10 },
    { name: 'vp8 delta frame (auto)', frame: VP8_DELTA, layout: 'vp8', rxLayout: 'vp8', clear: 3 },
    { name: 'vp8-key explicit', frame: VP8_KEY, layout: 'vp8-key', rxLayout: 'vp8', clear: 10 },
    {
      name: 'vp8-delta explicit',
      frame: VP8_DELTA,
      layout: 'vp8-delta',
      rxLayout: 'vp8',
      clear: 3,
    },
    { name: 'opus (whole)', frame: bytes(60, 5), layout: 'opus', rxLayout: 'opus', clear: 0 },
    { name: 'whole', frame: bytes(1200, 6), layout: 'whole', rxLayout: 'whole', clear: 0 },
    {
      name: 'custom clear prefix',
      frame: bytes(64, 9),
      layout: { clearBytes: 5 },
      rxLayout: { clearBytes: 5 },
      clear: 5,
    },
    {
      name: 'empty opus frame',
      frame: new Uint8Array(0),
      layout: 'opus',
      rxLayout: 'opus',
      clear: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { tx, rx, kid } = await pair();
      const enc = await tx.encrypt(c.frame, c.layout);
      expect(enc.subarray(0, c.clear)).toEqual(c.frame.subarray(0, c.clear));
      // The encrypted part must not contain the plaintext tail in clear.
      if (c.frame.length - c.clear >= 16) {
        expect(
          Buffer.from(enc).includes(Buffer.from(c.frame.subarray(c.clear, c.clear + 16))),
        ).toBe(false);
      }
      const out = await rx.decrypt(enc, c.rxLayout);
      expect(out.plaintext).toEqual(c.frame);
      expect(out.kid).toBe(kid);
      expect(out.owner).toBe('alice');
    });
  }

  it('adds header + 16 bytes: at most 22 with a 2-byte KID and a 3-byte CTR', async () => {
    const { tx } = await pair(makeKid(4095, 15));
    const first = await tx.encrypt(VP8_DELTA, 'vp8');
    expect(first.length - VP8_DELTA.length).toBe(1 + 2 + 16); // CTR 0 inline
    const ctx = new SFrameContext();
    const kid = makeKid(4095, 15);
    await ctx.setSenderKey(kid, KEY_B);
    // Advance the counter past 2^16 without 65k encryptions: drive the internal counter directly.
    (ctx as unknown as { sender: { next: number } }).sender.next = 2 ** 24 - 1;
    const late = await ctx.encrypt(VP8_DELTA, 'vp8');
    expect(late.length - VP8_DELTA.length).toBe(22);
  });

  it('works with every cipher suite (AES-CTR+HMAC short tags included)', async () => {
    for (const [suite, tag] of [
      [CipherSuite.AES_128_CTR_HMAC_SHA256_80, 10],
      [CipherSuite.AES_128_CTR_HMAC_SHA256_64, 8],
      [CipherSuite.AES_128_CTR_HMAC_SHA256_32, 4],
      [CipherSuite.AES_128_GCM_SHA256_128, 16],
      [CipherSuite.AES_256_GCM_SHA512_128, 16],
    ] as const) {
      const tx = new SFrameContext({ suite });
      const rx = new SFrameContext({ suite });
      await tx.setSenderKey(3, KEY_A);
      await rx.addReceiverKey(3, KEY_A);
      const enc = await tx.encrypt(VP8_KEY, 'vp8');
      expect(enc.length - VP8_KEY.length).toBe(1 + tag); // KID 3 and CTR 0 fit in the config byte
      expect((await rx.decrypt(enc, 'vp8')).plaintext).toEqual(VP8_KEY);
      const next = await tx.encrypt(VP8_KEY, 'vp8');
      next[next.length - 1] = next[next.length - 1]! ^ 1;
      await expectCode(rx.decrypt(next, 'vp8'), 'AUTH_FAILED');
    }
  });

  it('gives distinct counters to concurrent encryptions from several tracks', async () => {
    const { tx, rx } = await pair();
    const frames = [VP8_KEY, VP8_DELTA, bytes(60, 11), VP8_DELTA, bytes(60, 12)];
    const layouts: FrameLayout[] = ['vp8', 'vp8', 'opus', 'vp8', 'opus'];
    const encs = await Promise.all(frames.map((f, i) => tx.encrypt(f, layouts[i])));
    const ctrs = encs.map((e, i) => decodeHeader(e, i === 2 || i === 4 ? 0 : vp8ClearBytes(e)).ctr);
    expect(new Set(ctrs).size).toBe(frames.length);
    for (let i = 0; i < encs.length; i++)
      expect((await rx.decrypt(encs[i]!, layouts[i])).plaintext).toEqual(frames[i]);
  });
});

describe('SFrameContext failures', () => {
  it('wrong key → AUTH_FAILED', async () => {
    const { tx, kid } = await pair();
    const rx = new SFrameContext();
    await rx.addReceiverKey(kid, KEY_B);
    await expectCode(rx.decrypt(await tx.encrypt(VP8_DELTA, 'vp8'), 'vp8'), 'AUTH_FAILED');
    expect(rx.stats().failures.AUTH_FAILED).toBe(1);
  });

  it('a label (authenticated, not sent) must match: another → AUTH_FAILED, or WRONG_LABEL when named', async () => {
    const { tx, rx } = await pair();
    const camera = Uint8Array.of(2);
    const screen = Uint8Array.of(3);
    const sealed = await tx.encrypt(VP8_DELTA, 'vp8', camera);
    expect(sealed.length).toBe((await tx.encrypt(VP8_DELTA, 'vp8')).length); // nothing sent
    await expectCode(rx.decrypt(sealed, 'vp8'), 'AUTH_FAILED');
    await expectCode(rx.decrypt(sealed, 'vp8', screen), 'AUTH_FAILED');
    await expectCode(rx.decrypt(sealed, 'vp8', screen, [camera]), 'WRONG_LABEL');
    // refused without marking its counter seen: under its own label it still opens, once
    expect((await rx.decrypt(sealed, 'vp8', camera, [screen])).plaintext).toEqual(VP8_DELTA);
    await expectCode(rx.decrypt(sealed, 'vp8', camera), 'REPLAY');
  });

  it('unknown KID → UNKNOWN_KID', async () => {
    const { tx } = await pair(makeKid(9, 0));
    const rx = new SFrameContext();
    await rx.addReceiverKey(makeKid(10, 0), KEY_A);
    await expectCode(rx.decrypt(await tx.encrypt(bytes(50), 'opus'), 'opus'), 'UNKNOWN_KID');
  });

  it('tampered header (CTR changed) → AUTH_FAILED', async () => {
    const { tx, rx } = await pair();
    await tx.encrypt(bytes(10), 'opus');
    const enc = await tx.encrypt(bytes(50), 'opus'); // CTR 1 is inline in the config byte
    enc[0] = enc[0]! ^ 0x01;
    await expectCode(rx.decrypt(enc, 'opus'), 'AUTH_FAILED');
  });

  it('tampered header (KID changed to a held key) → AUTH_FAILED', async () => {
    const { tx, rx } = await pair(makeKid(5, 0));
    await rx.addReceiverKey(makeKid(6, 0), KEY_A, 'x');
    const enc = await tx.encrypt(bytes(50), 'opus');
    const h = decodeHeader(enc);
    expect(h.kid).toBe(BigInt(makeKid(5, 0)));
    enc[1] = makeKid(6, 0); // KID 0x50 → 0x60, one byte
    await expectCode(rx.decrypt(enc, 'opus'), 'AUTH_FAILED');
  });

  it('tampered clear bytes of a VP8 key frame → AUTH_FAILED', async () => {
    const { tx, rx } = await pair();
    const enc = await tx.encrypt(VP8_KEY, 'vp8');
    enc[6] = enc[6]! ^ 0x40; // width field, in clear
    await expectCode(rx.decrypt(enc, 'vp8'), 'AUTH_FAILED');
  });

  it('flipping the VP8 key-frame bit changes the split and fails', async () => {
    const { tx, rx } = await pair();
    const enc = await tx.encrypt(VP8_DELTA, 'vp8');
    enc[0] = enc[0]! ^ 0x01;
    await expect(rx.decrypt(enc, 'vp8')).rejects.toBeInstanceOf(SFrameError);
  });

  it('tampered ciphertext or tag → AUTH_FAILED', async () => {
    const { tx, rx } = await pair();
    const enc = await tx.encrypt(bytes(300), 'whole');
    const a = enc.slice();
    a[40] = a[40]! ^ 1;
    await expectCode(rx.decrypt(a, 'whole'), 'AUTH_FAILED');
    const b = enc.slice();
    b[b.length - 1] = b[b.length - 1]! ^ 0x80;
    await expectCode(rx.decrypt(b, 'whole'), 'AUTH_FAILED');
    expect((await rx.decrypt(enc, 'whole')).plaintext).toEqual(bytes(300));
  });

  it('truncated frames → MALFORMED or AUTH_FAILED, never a plaintext', async () => {
    const { tx, rx } = await pair();
    const enc = await tx.encrypt(VP8_KEY, 'vp8');
    await expectCode(rx.decrypt(enc.subarray(0, 5), 'vp8'), 'MALFORMED'); // inside the clear prefix
    await expectCode(rx.decrypt(enc.subarray(0, 10 + 2 + 15), 'vp8'), 'MALFORMED'); // shorter than a tag
    await expectCode(rx.decrypt(enc.subarray(0, enc.length - 1), 'vp8'), 'AUTH_FAILED');
    await expectCode(rx.decrypt(new Uint8Array(0), 'opus'), 'MALFORMED');
  });

  it('non-minimal header encoding → MALFORMED', async () => {
    const rx = new SFrameContext();
    await rx.addReceiverKey(1, KEY_A);
    // KID 1 encoded in one extra byte (X=1, KLEN=0) instead of inline.
    await expectCode(rx.decrypt(fromHex('8001' + '00'.repeat(20)), 'whole'), 'MALFORMED');
  });

  it('replayed counter → REPLAY; reordered frames inside the window still decrypt', async () => {
    const { tx, rx } = await pair();
    const f = await Promise.all([0, 1, 2, 3].map((i) => tx.encrypt(bytes(40, i), 'opus')));
    await rx.decrypt(f[2]!, 'opus');
    await rx.decrypt(f[0]!, 'opus');
    await expectCode(rx.decrypt(f[2]!, 'opus'), 'REPLAY');
    await rx.decrypt(f[3]!, 'opus');
    await rx.decrypt(f[1]!, 'opus');
    await expectCode(rx.decrypt(f[0]!, 'opus'), 'REPLAY');
    expect(rx.stats().failures.REPLAY).toBe(2);
    expect(rx.stats().decrypted).toBe(4);
  });

  it('frames older than the replay window → TOO_OLD, counted apart from repeats', async () => {
    const tx = new SFrameContext();
    const rx = new SFrameContext({ replayWindow: 32 });
    await tx.setSenderKey(3, KEY_A);
    await rx.addReceiverKey(3, KEY_A);
    const old = await tx.encrypt(bytes(10), 'opus');
    for (let i = 0; i < 40; i++) await tx.encrypt(bytes(10), 'opus');
    const newest = await tx.encrypt(bytes(10), 'opus');
    await rx.decrypt(newest, 'opus');
    await expectCode(rx.decrypt(old, 'opus'), 'TOO_OLD');
    await expectCode(rx.decrypt(newest, 'opus'), 'REPLAY');
    expect(rx.stats().failures).toMatchObject({ TOO_OLD: 1, REPLAY: 1 });
  });

  it('a forged frame does not advance the replay window', async () => {
    const { tx, rx, kid } = await pair();
    const good = await tx.encrypt(bytes(40), 'opus'); // CTR 0
    // Same KID, CTR 5000 (beyond the 1024-frame window), garbage body: if it were committed,
    // the genuine CTR 0 frame would be refused as a replay.
    const forged = new Uint8Array([...encodeHeader(BigInt(kid), 5000n), ...bytes(40, 99)]);
    await expectCode(rx.decrypt(forged, 'opus'), 'AUTH_FAILED');
    expect((await rx.decrypt(good, 'opus')).plaintext).toEqual(bytes(40));
  });

  it('refuses to install the same sender key twice (counter restart would repeat nonces)', async () => {
    const ctx = new SFrameContext();
    await ctx.setSenderKey(7, KEY_A);
    await expectCode(ctx.setSenderKey(7, KEY_A), 'KEY_REUSE');
    await ctx.setSenderKey(8, KEY_A); // a different KID derives a different key and salt
  });

  it('checks key lengths, missing sender key, exhaustion and use after close', async () => {
    const ctx = new SFrameContext({ maxCounter: 1 });
    await expectCode(ctx.setSenderKey(1, new Uint8Array(15)), 'BAD_KEY');
    await expectCode(ctx.encrypt(bytes(10)), 'NO_SENDER_KEY');
    await ctx.setSenderKey(1, KEY_A);
    await ctx.encrypt(bytes(10));
    await ctx.encrypt(bytes(10));
    await expectCode(ctx.encrypt(bytes(10)), 'COUNTER_EXHAUSTED');
    ctx.close();
    ctx.close();
    await expectCode(ctx.encrypt(bytes(10)), 'CLOSED');
  });
});

describe('join ratchet and key removal', () => {
  it('is the RFC 9605 §5.1 sender-key ratchet (checked against WebCrypto HKDF)', async () => {
    const base = await crypto.subtle.importKey('raw', new Uint8Array(KEY_A), 'HKDF', false, [
      'deriveBits',
    ]);
    const info = new TextEncoder().encode('SFrame 1.0 Ratchet');
    const bits = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info },
      base,
      256,
    );
    expect(ratchetKey(KEY_A)).toEqual(new Uint8Array(bits));
    expect(ratchetKey(KEY_A.subarray(0, 16))).toHaveLength(32); // Nh bytes
  });

  it('derives the next generations of a held key on first use, one-way', async () => {
    const tx = new SFrameContext();
    const rx = new SFrameContext();
    await rx.addReceiverKey(makeKid(12, 14), KEY_A, 'bob');
    const k1 = ratchetKey(KEY_A);
    const k2 = ratchetKey(k1);
    await tx.setSenderKey(makeKid(12, 0), k2); // generation 16 ≡ 0: wraps modulo 16
    const out = await rx.decrypt(await tx.encrypt(bytes(30), 'opus'), 'opus');
    expect(out.owner).toBe('bob');
    expect(rx.stats().ratcheted).toBe(1);
    // A newcomer given k2 cannot read frames under the earlier key.
    const old = new SFrameContext();
    await old.setSenderKey(makeKid(12, 14), KEY_A);
    const newcomer = new SFrameContext();
    await newcomer.addReceiverKey(makeKid(12, 0), k2);
    await expectCode(newcomer.decrypt(await old.encrypt(bytes(30), 'opus'), 'opus'), 'UNKNOWN_KID');
  });

  it('a fresh (non-ratcheted) key with the next KID is not accepted via the ratchet', async () => {
    const tx = new SFrameContext();
    const rx = new SFrameContext();
    await rx.addReceiverKey(makeKid(3, 1), KEY_A);
    await tx.setSenderKey(makeKid(3, 2), KEY_B);
    await expectCode(rx.decrypt(await tx.encrypt(bytes(30), 'opus'), 'opus'), 'UNKNOWN_KID');
    expect(rx.receiverKids()).toHaveLength(1);
  });

  it('removing a key removes the keys ratcheted from it', async () => {
    const tx = new SFrameContext();
    const rx = new SFrameContext();
    await rx.addReceiverKey(makeKid(2, 0), KEY_A, 'p');
    await tx.setSenderKey(makeKid(2, 1), ratchetKey(KEY_A));
    await rx.decrypt(await tx.encrypt(bytes(30), 'opus'), 'opus');
    expect(rx.receiverKids()).toHaveLength(2);
    rx.removeReceiverKey(makeKid(2, 0), 'p');
    expect(rx.receiverKids()).toHaveLength(0);
    await expectCode(rx.decrypt(await tx.encrypt(bytes(30), 'opus'), 'opus'), 'UNKNOWN_KID');
  });

  it('two senders that picked the same KID are both decrypted (owners)', async () => {
    const kid = makeKid(77, 0);
    const a = new SFrameContext();
    const b = new SFrameContext();
    await a.setSenderKey(kid, KEY_A);
    await b.setSenderKey(kid, KEY_B);
    const rx = new SFrameContext();
    await rx.addReceiverKey(kid, KEY_A, 'a');
    await rx.addReceiverKey(kid, KEY_B, 'b');
    expect((await rx.decrypt(await a.encrypt(bytes(20), 'opus'), 'opus')).owner).toBe('a');
    expect((await rx.decrypt(await b.encrypt(bytes(20), 'opus'), 'opus')).owner).toBe('b');
    rx.removeReceiverKey(kid, 'a');
    await expectCode(rx.decrypt(await a.encrypt(bytes(20), 'opus'), 'opus'), 'AUTH_FAILED');
  });
});
