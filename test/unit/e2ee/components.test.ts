// Unit tests of the key-protocol building blocks (the KeyAgent tests cover how they fit together).
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import {
  buildAnnouncement,
  readAnnouncement,
  verifyAnnouncement,
  type VerifiedAnnouncement,
} from '../../../shared/e2ee/announcement.js';
import {
  Reader,
  WireError,
  base64urlDecode,
  base64urlEncode,
  concat,
  equalBytes,
  fromHex,
  utf8Encode as utf8,
} from '../../../shared/e2ee/bytes.js';
import { ChannelClosedError, PairwiseChannel } from '../../../shared/e2ee/channel.js';
import {
  ed25519Sign,
  ed25519Verify,
  forceCurveBackend,
  x25519Shared,
} from '../../../shared/e2ee/curves.js';
import {
  checkResponderConfirm,
  deriveChannelSecrets,
  responderConfirm,
  roleFor,
  transcriptHash,
} from '../../../shared/e2ee/handshake.js';
import { IdentityKey, createSessionKey } from '../../../shared/e2ee/identity.js';
import { LocalSenderKey } from '../../../shared/e2ee/LocalSenderKey.js';
import { decodeRecords, encodeRecords, type ChannelRecord } from '../../../shared/e2ee/records.js';
import {
  createRoomSecret,
  deriveRoomKeys,
  formatRoomFragment,
  parseRoomFragment,
} from '../../../shared/e2ee/roomSecret.js';
import {
  pairwiseSecurityCode,
  roomSecurityCode,
  sameCode,
} from '../../../shared/e2ee/securityCode.js';
import { decodeRelayMessage, encodeChannelHeader } from '../../../shared/e2ee/wire.js';
import { kidGeneration, kidSlot, ratchetKey } from '../../../shared/sframe/kid.js';
import { Rng } from './sim/rng.js';

describe('room secret', () => {
  it('round-trips through the URL fragment and refuses anything but 32 bytes', () => {
    const s = createRoomSecret(new Rng(1).bytes);
    const frag = formatRoomFragment(s);
    expect(frag).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseRoomFragment('#' + frag)).toEqual(s);
    expect(() => parseRoomFragment(frag.slice(1))).toThrow(WireError);
    expect(() => parseRoomFragment(frag.slice(0, 42) + '+')).toThrow(WireError);
    expect(base64urlDecode(base64urlEncode(new Uint8Array([251, 255, 0])))).toEqual(
      new Uint8Array([251, 255, 0]),
    );
  });

  it('derives distinct, room-bound keys (domain separation)', () => {
    const s = new Rng(2).bytes(32);
    const a = deriveRoomKeys(s, 'room-a');
    const b = deriveRoomKeys(s, 'room-b');
    const all = [
      a.membership,
      a.names,
      a.channelSalt,
      a.code,
      b.membership,
      b.names,
      b.channelSalt,
      b.code,
    ];
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++) expect(equalBytes(all[i]!, all[j]!)).toBe(false);
    expect(() => deriveRoomKeys(s, 'bad room')).toThrow(RangeError);
  });
});

describe('identity', () => {
  it('stores and loads as 32 bytes, with a stable public key', () => {
    const id = IdentityKey.generate(new Rng(3).bytes);
    const again = IdentityKey.fromBytes(id.toBytes());
    expect(again.publicKey).toEqual(id.publicKey);
    expect(() => IdentityKey.fromBytes(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('curves: WebCrypto and @noble agree', () => {
  it('Ed25519 signatures and X25519 secrets are identical on both backends', async () => {
    const rng = new Rng(4);
    const id = IdentityKey.generate(rng.bytes);
    const msg = rng.bytes(77);
    const a = createSessionKey(rng.bytes);
    const b = createSessionKey(rng.bytes);
    const results: string[] = [];
    for (const backend of ['webcrypto', 'noble'] as const) {
      forceCurveBackend(backend);
      try {
        const sig = await ed25519Sign(id.secretBytes(), msg);
        expect(await ed25519Verify(id.publicKey, msg, sig)).toBe(true);
        const bad = sig.slice();
        bad[5] = bad[5]! ^ 1;
        expect(await ed25519Verify(id.publicKey, msg, bad)).toBe(false);
        const ab = await x25519Shared(a.secret, b.publicKey);
        expect(await x25519Shared(b.secret, a.publicKey)).toEqual(ab);
        results.push(Buffer.from(sig).toString('hex') + Buffer.from(ab).toString('hex'));
      } finally {
        forceCurveBackend(null);
      }
    }
    expect(results[0]).toBe(results[1]);
  });
});

async function ann(rng: Rng, secret: Uint8Array, peerId: string, name = 'Zoë') {
  const room = deriveRoomKeys(secret, 'room-1');
  const identity = IdentityKey.generate(rng.bytes);
  const session = createSessionKey(rng.bytes);
  const raw = await buildAnnouncement(room, peerId, identity, session, name);
  return { room, identity, session, raw };
}

describe('announcements', () => {
  it('verify with the room secret, carry the encrypted name, and fail for other rooms', async () => {
    const rng = new Rng(5);
    const secret = rng.bytes(32);
    const a = await ann(rng, secret, 'p1');
    const parse = (raw: Uint8Array) => readAnnouncement(new Reader(raw), raw);
    const v = await verifyAnnouncement(a.room, parse(a.raw));
    expect(typeof v).toBe('object');
    expect((v as VerifiedAnnouncement).displayName).toBe('Zoë');
    expect(Buffer.from(a.raw).includes(Buffer.from('Zo'))).toBe(false);
    expect(await verifyAnnouncement(deriveRoomKeys(rng.bytes(32), 'room-1'), parse(a.raw))).toBe(
      'BAD_MEMBERSHIP_MAC',
    );
    expect(await verifyAnnouncement(deriveRoomKeys(secret, 'room-2'), parse(a.raw))).toBe(
      'BAD_MEMBERSHIP_MAC',
    );
    for (let i = 0; i < a.raw.length; i += 7) {
      const t = a.raw.slice();
      t[i] = t[i]! ^ 0x10;
      let r: unknown;
      try {
        r = await verifyAnnouncement(a.room, parse(t));
      } catch (e) {
        r = e;
      }
      expect(typeof r === 'string' || r instanceof WireError, `byte ${i}`).toBe(true);
    }
  });
});

describe('handshake and pairwise channel', () => {
  async function pair(seed: number, nR?: Uint8Array) {
    const rng = new Rng(seed);
    const secret = rng.bytes(32);
    const x = await ann(rng, secret, 'x');
    const y = await ann(rng, secret, 'y');
    const [i, r] =
      roleFor(x.session.publicKey, y.session.publicKey) === 'initiator' ? [x, y] : [y, x];
    const vi = {
      peerId: i === x ? 'x' : 'y',
      identityKey: i.identity.publicKey,
      sessionKey: i.session.publicKey,
      displayName: '',
      raw: i.raw,
    };
    const vr = {
      peerId: i === x ? 'y' : 'x',
      identityKey: r.identity.publicKey,
      sessionKey: r.session.publicKey,
      displayName: '',
      raw: r.raw,
    };
    const nI = rng.bytes(16);
    const t = transcriptHash('room-1', vi, vr, nI, nR ?? rng.bytes(16));
    const si = await deriveChannelSecrets(
      i.room.channelSalt,
      i.session.secret,
      'initiator',
      t,
      r.session.publicKey,
    );
    const sr = await deriveChannelSecrets(
      r.room.channelSalt,
      r.session.secret,
      'responder',
      t,
      i.session.publicKey,
    );
    return { si, sr, vi, vr };
  }

  it('both sides derive mirrored keys and the responder confirmation checks', async () => {
    const { si, sr } = await pair(6);
    expect(si.sendKey).toEqual(sr.recvKey);
    expect(si.recvKey).toEqual(sr.sendKey);
    expect(si.sendKey).not.toEqual(si.recvKey);
    expect(si.channelId).toEqual(sr.channelId);
    expect(checkResponderConfirm(si, responderConfirm(sr))).toBe(true);
    const other = await pair(7);
    expect(checkResponderConfirm(si, responderConfirm(other.sr))).toBe(false);
  });

  it('fresh nonces give fresh channel keys', async () => {
    const a = await pair(8, new Uint8Array(16).fill(1));
    const b = await pair(8, new Uint8Array(16).fill(2));
    expect(a.si.sendKey).not.toEqual(b.si.sendKey);
  });

  function channelMessage(payload: Uint8Array) {
    const m = decodeRelayMessage(payload);
    if (m.kind !== 'channel') throw new Error('expected a channel message');
    return m;
  }

  it('derives 32-byte ChaCha20-Poly1305 keys, one per direction', async () => {
    const { si } = await pair(6);
    expect(si.sendKey).toHaveLength(32);
    expect(si.recvKey).toHaveLength(32);
    expect(si.channelId).toHaveLength(8);
  });

  it('seals and opens in both directions, refusing replays and tampering', async () => {
    const { si, sr, vi, vr } = await pair(9);
    const ci = PairwiseChannel.create(vr, 'initiator', si);
    const cr = PairwiseChannel.create(vi, 'responder', sr);
    const m1 = channelMessage(ci.seal(new Uint8Array([1, 2, 3])));
    expect(cr.open(m1.header, m1.counter, m1.ciphertext)).toEqual({
      ok: true,
      plaintext: new Uint8Array([1, 2, 3]),
    });
    expect(cr.open(m1.header, m1.counter, m1.ciphertext)).toEqual({
      ok: false,
      reason: 'REPLAY',
    });
    const m2 = channelMessage(cr.seal(new Uint8Array([9])));
    const bad = m2.ciphertext.slice();
    bad[0] = bad[0]! ^ 1;
    expect(ci.open(m2.header, m2.counter, bad)).toEqual({ ok: false, reason: 'AUTH_FAILED' });
    expect(ci.open(m2.header, m2.counter, m2.ciphertext).ok).toBe(true);
    // A message sealed by the initiator cannot be opened by the initiator (direction keys differ).
    const m3 = channelMessage(ci.seal(new Uint8Array([7])));
    expect(ci.open(m3.header, m3.counter, m3.ciphertext)).toEqual({
      ok: false,
      reason: 'AUTH_FAILED',
    });
  });

  it('authenticates every byte: header (AAD), ciphertext and tag; forgeries do not move the window', async () => {
    const { si, sr, vi, vr } = await pair(12);
    const ci = PairwiseChannel.create(vr, 'initiator', si);
    const cr = PairwiseChannel.create(vi, 'responder', sr);
    ci.seal(new Uint8Array([0])); // counter 0 is never delivered
    const sealed = ci.seal(utf8('a media key record would be here'));
    for (let i = 0; i < sealed.length; i++) {
      const t = sealed.slice();
      t[i] = t[i]! ^ 0x01;
      let m;
      try {
        m = decodeRelayMessage(t);
      } catch (e) {
        expect(e, `byte ${i}`).toBeInstanceOf(WireError); // magic or type byte
        continue;
      }
      if (m.kind !== 'channel') throw new Error('expected a channel message');
      expect(cr.open(m.header, m.counter, m.ciphertext), `byte ${i}`).toEqual({
        ok: false,
        reason: 'AUTH_FAILED',
      });
    }
    // A ciphertext moved to another counter (header rewritten) fails too.
    const m = channelMessage(sealed);
    const moved = channelMessage(concat(encodeChannelHeader(m.channelId, 5000), m.ciphertext));
    expect(cr.open(moved.header, moved.counter, moved.ciphertext).ok).toBe(false);
    // Shorter than a tag: refused, not thrown.
    expect(cr.open(m.header, m.counter, m.ciphertext.subarray(0, 15))).toEqual({
      ok: false,
      reason: 'AUTH_FAILED',
    });
    // None of the forgeries (counters 1 and 5000) moved the replay window.
    expect(cr.open(m.header, m.counter, m.ciphertext)).toEqual({
      ok: true,
      plaintext: utf8('a media key record would be here'),
    });
    const m0 = channelMessage(ci.seal(new Uint8Array([2])));
    expect(m0.counter).toBe(2);
    expect(cr.open(m0.header, m0.counter, m0.ciphertext).ok).toBe(true);
  });

  it('is RFC 8439 ChaCha20-Poly1305 with nonce 0^32 || counter (u64 BE) and the header as AAD', async () => {
    const { si, sr, vi, vr } = await pair(13);
    const ci = PairwiseChannel.create(vr, 'initiator', si);
    const cr = PairwiseChannel.create(vi, 'responder', sr);
    // What the channel sealed opens with the bare AEAD and the documented nonce and AAD.
    const m = channelMessage(ci.seal(utf8('hi')));
    const aead = chacha20poly1305(si.sendKey, new Uint8Array(12), m.header);
    expect(aead.decrypt(m.ciphertext)).toEqual(utf8('hi'));
    // And a message made with the bare AEAD at a counter past 2^32 opens on the channel.
    const counter = 2 ** 40 + 0x01020304;
    const header = encodeChannelHeader(si.channelId, counter);
    const nonce = fromHex('00000000' + '0000010001020304');
    const ct = chacha20poly1305(sr.recvKey, nonce, header).encrypt(utf8('far'));
    const far = channelMessage(concat(header, ct));
    expect(far.counter).toBe(counter);
    expect(cr.open(far.header, far.counter, far.ciphertext)).toEqual({
      ok: true,
      plaintext: utf8('far'),
    });
  });

  it('the AEAD passes the RFC 8439 §2.8.2 test vector', () => {
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('070000004041424344454647');
    const aad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = utf8(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the " +
        'future, sunscreen would be it.',
    );
    const expected = fromHex(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6' +
        '3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
        '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
        '3ff4def08e4b7a9de576d26586cec64b6116' +
        '1ae10b594f09e26a7e902ecbd0600691', // tag
    );
    expect(chacha20poly1305(key, nonce, aad).encrypt(plaintext)).toEqual(expected);
    expect(chacha20poly1305(key, nonce, aad).decrypt(expected)).toEqual(plaintext);
  });

  it('refuses keys of the wrong length and any use after close()', async () => {
    const { si, vr } = await pair(14);
    expect(() =>
      PairwiseChannel.create(vr, 'initiator', { ...si, sendKey: si.sendKey.subarray(0, 16) }),
    ).toThrow(RangeError);
    const c = PairwiseChannel.create(vr, 'initiator', si);
    const m = channelMessage(c.seal(new Uint8Array([1])));
    c.close();
    c.close(); // idempotent
    expect(() => c.seal(new Uint8Array([1]))).toThrow(ChannelClosedError);
    expect(() => c.open(m.header, m.counter, m.ciphertext)).toThrow(ChannelClosedError);
    expect(si.sendKey.some((b) => b !== 0)).toBe(true); // the channel wiped its own copy only
  });
});

describe('channel records', () => {
  it('round-trip every record kind, several per message', () => {
    const recs: ChannelRecord[] = [
      { kind: 'confirm' },
      { kind: 'mediaKey', generation: 17, kid: 0x1231, key: new Uint8Array(32).fill(5) },
      { kind: 'keyAck', generation: 17, kid: 0x1231 },
      { kind: 'displayName', name: 'Ana 🎸' },
      { kind: 'chat', sentAt: 1_700_000_000_000, text: 'hi' },
    ];
    expect(decodeRecords(encodeRecords(recs))).toEqual(recs);
  });

  it('refuses truncated, trailing, unknown and out-of-bounds records', () => {
    const ok = encodeRecords([{ kind: 'keyAck', generation: 1, kid: 1 }]);
    expect(() => decodeRecords(ok.subarray(0, ok.length - 1))).toThrow(WireError);
    expect(() => decodeRecords(new Uint8Array([0x03, 0x00, 0x09, ...new Uint8Array(9)]))).toThrow(
      WireError,
    );
    expect(() => decodeRecords(new Uint8Array([0x7f, 0x00, 0x00]))).toThrow(WireError);
    expect(() =>
      decodeRecords(new Uint8Array([0x02, 0x00, 0x09, 0, 0, 0, 1, 0, 0, 0, 1, 5])),
    ).toThrow(WireError); // 5-byte key
    expect(() => decodeRecords(new Uint8Array([0x04, 0x00, 0x02, 0xc3, 0x28]))).toThrow(WireError); // bad UTF-8
  });
});

describe('relay messages', () => {
  it('refuse unknown protocol bytes, types and trailing data', async () => {
    const rng = new Rng(10);
    const a = await ann(rng, rng.bytes(32), 'p');
    const hello = new Uint8Array([0xb1, 0x01, ...a.raw]);
    expect(decodeRelayMessage(hello).kind).toBe('hello');
    expect(() => decodeRelayMessage(new Uint8Array([0xb2, 0x01, ...a.raw]))).toThrow(WireError);
    expect(() => decodeRelayMessage(new Uint8Array([0xb1, 0x09, ...a.raw]))).toThrow(WireError);
    expect(() => decodeRelayMessage(new Uint8Array([...hello, 0]))).toThrow(WireError);
    expect(() => decodeRelayMessage(hello.subarray(0, 50))).toThrow(WireError);
  });
});

describe('security codes', () => {
  it('do not depend on roster order, change with membership, and are pairwise-symmetric', () => {
    const rng = new Rng(11);
    const room = deriveRoomKeys(rng.bytes(32), 'room-1');
    const ids = [0, 1, 2].map(() => IdentityKey.generate(rng.bytes).publicKey);
    const c1 = roomSecurityCode(room, ids);
    expect(sameCode(c1, roomSecurityCode(room, [ids[2]!, ids[0]!, ids[1]!]))).toBe(true);
    expect(sameCode(c1, roomSecurityCode(room, ids.slice(0, 2)))).toBe(false);
    expect(sameCode(c1, roomSecurityCode(deriveRoomKeys(rng.bytes(32), 'room-1'), ids))).toBe(
      false,
    );
    expect(c1.emoji).toHaveLength(6);
    expect(c1.digits).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(
      sameCode(pairwiseSecurityCode(ids[0]!, ids[1]!), pairwiseSecurityCode(ids[1]!, ids[0]!)),
    ).toBe(true);
    expect(
      sameCode(pairwiseSecurityCode(ids[0]!, ids[1]!), pairwiseSecurityCode(ids[0]!, ids[2]!)),
    ).toBe(false);
  });
});

describe('local sender key schedule', () => {
  it('ratchets along one lineage and makes fresh keys with new generations', () => {
    const k = new LocalSenderKey(new Rng(12).bytes, 32, 0);
    const g0 = k.current;
    const g1 = k.ratchet();
    expect(g1.generation).toBe(1);
    expect(g1.key).toEqual(ratchetKey(g0.key));
    expect(kidSlot(g1.kid)).toBe(kidSlot(g0.kid));
    expect(kidGeneration(g1.kid)).toBe(1);
    const fresh = k.startFresh(10, 1010, new Set([k.slot]));
    expect(fresh.generation).toBe(2);
    expect(kidSlot(fresh.kid)).not.toBe(kidSlot(g0.kid)); // moved away from a slot in use
    expect(() => k.ratchet()).toThrow();
    expect(k.switchToPending()).toBe(fresh);
    expect(k.lastFreshGeneration).toBe(2);
    expect(k.inCurrentLineage(2, fresh.kid)).toBe(true);
    expect(k.inCurrentLineage(1, g1.kid)).toBe(false);
  });
});
