// Unit tests of the MLS layer's small parts: envelopes, KID layout, room code, the epoch switch
// rules, coalescing and liveness.
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  ChangeQueue,
  committerRank,
  deriveEnvelopeKeys,
  EpochKeys,
  Liveness,
  makeMlsKid,
  MAX_PREVIOUS_EPOCHS,
  MlsLayerError,
  openEnvelope,
  parseMlsKid,
  readHeader,
  roomCodeFromAuthenticator,
  sealEnvelope,
  verifyEnvelopeSignature,
} from '../../../shared/mls/index.js';
import { SFrameContext } from '../../../shared/sframe/index.js';

function errCode(f: () => unknown): string {
  try {
    f();
    return 'none';
  } catch (e) {
    return e instanceof MlsLayerError ? e.code : 'other';
  }
}

describe('envelope', () => {
  const secret = randomBytes(32);
  const keys = deriveEnvelopeKeys(secret, 'room-1');
  const body = new TextEncoder().encode('an MLS message');

  it('round-trips, with only kind and epoch in clear', () => {
    const env = sealEnvelope(keys, { kind: 'commit', epoch: 7n }, body);
    expect(readHeader(env)).toEqual({ kind: 'commit', epoch: 7n });
    expect(openEnvelope(keys, env).body).toEqual(body);
    expect(Buffer.from(env).includes(Buffer.from(body))).toBe(false);
    expect(verifyEnvelopeSignature(env, keys.publicKey)).toBe(true);
  });

  it('fresh nonces: the same body sealed twice differs', () => {
    const a = sealEnvelope(keys, { kind: 'commit', epoch: 1n }, body);
    const b = sealEnvelope(keys, { kind: 'commit', epoch: 1n }, body);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('refuses another room, another secret, any flipped bit, truncation', () => {
    const env = sealEnvelope(keys, { kind: 'groupInfo', epoch: 3n }, body);
    expect(errCode(() => openEnvelope(deriveEnvelopeKeys(secret, 'room-2'), env))).toBe(
      'ENVELOPE_AUTH_FAILED',
    );
    expect(errCode(() => openEnvelope(deriveEnvelopeKeys(randomBytes(32), 'room-1'), env))).toBe(
      'ENVELOPE_AUTH_FAILED',
    );
    for (const i of [2, 9, 15, 30, env.length - 1]) {
      const t = new Uint8Array(env);
      t[i] = t[i]! ^ 0x10;
      expect(
        errCode(() => openEnvelope(keys, t)),
        `byte ${i}`,
      ).toBe('ENVELOPE_AUTH_FAILED');
    }
    expect(errCode(() => openEnvelope(keys, env.subarray(0, 50)))).toBe('ENVELOPE_MALFORMED');
    const badKind = new Uint8Array(env);
    badKind[1] = 99;
    expect(errCode(() => openEnvelope(keys, badKind))).toBe('ENVELOPE_MALFORMED');
    expect(errCode(() => deriveEnvelopeKeys(new Uint8Array(16), 'r'))).toBe('BAD_INPUT');
  });
});

describe('KID layout (RFC 9605 §5.2)', () => {
  it('packs context | leaf index | epoch low bits and parses back', () => {
    expect(makeMlsKid(0, 0n)).toBe(0);
    expect(makeMlsKid(3, 17n)).toBe((3 << 4) | 1);
    expect(makeMlsKid(4095, 15n)).toBe(0xffff);
    expect(parseMlsKid(makeMlsKid(33, 17n, 2))).toEqual({
      context: 2,
      leafIndex: 33,
      epochBits: 1,
    });
    expect(errCode(() => makeMlsKid(4096, 0n))).toBe('KID_RANGE');
    expect(errCode(() => makeMlsKid(-1, 0n))).toBe('KID_RANGE');
  });
});

describe('room code', () => {
  it('is 100 bits in 4 groups of 5, deterministic, with a 5-character glance prefix', () => {
    const auth = randomBytes(32);
    const c = roomCodeFromAuthenticator(auth);
    expect(c.full).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
    expect(c.glance).toBe(c.full.slice(0, 5));
    expect(roomCodeFromAuthenticator(new Uint8Array(auth))).toEqual(c);
    const other = new Uint8Array(auth);
    other[0] = other[0]! ^ 1;
    expect(roomCodeFromAuthenticator(other).full).not.toBe(c.full);
    expect(errCode(() => roomCodeFromAuthenticator(new Uint8Array(8)))).toBe('BAD_INPUT');
  });
});

describe('EpochKeys switch rules', () => {
  function pair() {
    const alice = new SFrameContext({ ratchetWindow: 0 });
    const bob = new SFrameContext({ ratchetWindow: 0 });
    return { alice, bob, ka: new EpochKeys(alice), kb: new EpochKeys(bob) };
  }
  const frame = new Uint8Array([1, 2, 3, 4]);

  it('receivers install at once; the sender waits for all-ready, or at most 1 s', async () => {
    const { alice, bob, ka, kb } = pair();
    const e1 = randomBytes(16);
    await ka.install(1n, e1, [0, 1], 0, 0);
    await kb.install(1n, e1, [0, 1], 1, 0);
    expect(ka.senderEpoch).toBe(1n); // first epoch: nothing to wait for
    const e2 = randomBytes(16);
    await ka.install(2n, e2, [0, 1], 0, 1000);
    expect(ka.senderEpoch).toBe(1n);
    await kb.install(2n, e2, [0, 1], 1, 1000);
    expect((await bob.decrypt(await alice.encrypt(frame))).kid).toBe(makeMlsKid(0, 1n));
    await ka.markAllReady(2n);
    expect(ka.senderEpoch).toBe(2n);
    expect((await bob.decrypt(await alice.encrypt(frame))).kid).toBe(makeMlsKid(0, 2n));
    // timeout path
    const e3 = randomBytes(16);
    await ka.install(3n, e3, [0, 1], 0, 2000);
    await ka.tick(2999);
    expect(ka.senderEpoch).toBe(2n);
    await ka.tick(3000);
    expect(ka.senderEpoch).toBe(3n);
  });

  it('keeps the previous epoch for the grace, then erases it', async () => {
    const { alice, bob, ka, kb } = pair();
    const e1 = randomBytes(16);
    const e2 = randomBytes(16);
    await ka.install(1n, e1, [0, 1], 0, 0);
    await kb.install(1n, e1, [0, 1], 1, 0);
    const late = await alice.encrypt(frame); // epoch 1 frame still in flight
    await kb.install(2n, e2, [0, 1], 1, 100);
    await kb.tick(5099);
    expect((await bob.decrypt(late)).plaintext).toEqual(frame);
    const late2 = await alice.encrypt(frame);
    await kb.tick(5100);
    expect(kb.installedEpochs()).toEqual([2n]);
    await expect(bob.decrypt(late2)).rejects.toMatchObject({ code: 'UNKNOWN_KID' });
  });

  it('two commits in quick succession: frames a slower sender sent on the oldest epoch still decrypt', async () => {
    // Bob processes epochs 2 and 3 within 10 ms; Alice, a little behind, is still sending on
    // epoch 1 when Bob already has 3. Her in-flight epoch-1 frame reaches Bob afterwards.
    const { alice, bob, ka, kb } = pair();
    const [e1, e2, e3] = [randomBytes(16), randomBytes(16), randomBytes(16)];
    await ka.install(1n, e1, [0, 1], 0, 0);
    await kb.install(1n, e1, [0, 1], 1, 0);
    await kb.install(2n, e2, [0, 1], 1, 1000);
    await kb.install(3n, e3, [0, 1], 1, 1010);
    await ka.install(2n, e2, [0, 1], 0, 1020);
    const inFlight = await alice.encrypt(frame);
    await ka.install(3n, e3, [0, 1], 0, 1030);
    expect(kb.installedEpochs()).toEqual([3n, 2n, 1n]);
    expect((await bob.decrypt(inFlight)).plaintext).toEqual(frame);
    // each previous epoch keeps its own grace from its successor's install
    await kb.tick(6000);
    expect(kb.installedEpochs()).toEqual([3n, 2n]);
    await kb.tick(6010);
    expect(kb.installedEpochs()).toEqual([3n]);
  });

  it('commits arriving every 100 ms do not hold the sender on an old epoch beyond 1 s', async () => {
    const { alice, ka } = pair();
    await ka.install(1n, randomBytes(16), [0, 1], 0, 0);
    await ka.install(2n, randomBytes(16), [0, 1], 0, 100);
    await ka.install(3n, randomBytes(16), [0, 1], 0, 200);
    await ka.tick(1099);
    expect(ka.senderEpoch).toBe(1n);
    await ka.tick(1100); // 1 s after the first pending epoch, not after the last
    expect(ka.senderEpoch).toBe(3n);
    expect(alice.senderKid).toBe(makeMlsKid(0, 3n));
  });

  it(`beyond ${MAX_PREVIOUS_EPOCHS} previous epochs the oldest is erased at once and a lagging sender moves to the newest`, async () => {
    const { alice, ka } = pair();
    for (let e = 1; e <= 1 + MAX_PREVIOUS_EPOCHS; e++)
      await ka.install(BigInt(e), randomBytes(16), [0, 1], 0, e * 10);
    expect(ka.senderEpoch).toBe(1n);
    await ka.install(BigInt(2 + MAX_PREVIOUS_EPOCHS), randomBytes(16), [0, 1], 0, 100);
    expect(ka.installedEpochs()).toEqual([5n, 4n, 3n, 2n]);
    expect(ka.senderEpoch).toBe(5n);
    expect(alice.senderKid).toBe(makeMlsKid(0, 5n));
  });

  it('refuses timers beyond the bounds', () => {
    const ctx = new SFrameContext();
    expect(errCode(() => new EpochKeys(ctx, { switchTimeoutMs: 1001 }))).toBe('BAD_INPUT');
    expect(errCode(() => new EpochKeys(ctx, { graceMs: 5001 }))).toBe('BAD_INPUT');
  });
});

describe('ChangeQueue and Liveness', () => {
  it('coalesces changes within 100 ms; the designated committer goes first', () => {
    const q = new ChangeQueue();
    q.remove({ leafIndex: 3, key: 'c' }, 0);
    q.add(new Uint8Array([9]), 'z', 40);
    q.remove({ leafIndex: 5, key: 'e' }, 60);
    expect(q.due(99, 0)).toBe(false);
    expect(q.due(100, 0)).toBe(true);
    expect(q.due(100, 1)).toBe(false);
    expect(q.due(200, 1)).toBe(true);
    const t = q.take();
    expect(t.remove.sort()).toEqual([3, 5]);
    expect(t.add).toHaveLength(1);
    expect(q.empty).toBe(true);
    t.undo(300);
    expect(q.empty).toBe(false);
    // a commit removed leaf 3, and leaf 5 now holds someone else; the newcomer z is in
    q.settle(
      [
        { leafIndex: 0, key: 'a' },
        { leafIndex: 5, key: 'new' },
        { leafIndex: 6, key: 'z' },
      ],
      0,
    );
    expect(q.empty).toBe(true);
    expect(committerRank(4, [0, 2, 4, 6], new Set([0]))).toBe(1);
    expect(committerRank(0, [0, 2], new Set([0]))).toBe(Number.POSITIVE_INFINITY);
  });

  it('lists leaves silent past the timeout, never itself', () => {
    const l = new Liveness(1000);
    l.sync([0, 1, 2], 0, 0);
    l.seen(1, 900);
    expect(l.expired(1001)).toEqual([2]);
    expect(l.expired(1901)).toEqual([1, 2]);
    l.sync([0, 1], 0, 2000);
    expect(l.expired(2000)).toEqual([1]);
  });
});
