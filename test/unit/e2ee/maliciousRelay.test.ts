// The relay (SFU) as an attacker: it reads, drops, replays, rewrites and injects key-protocol
// messages, and lies about joins and leaves. None of it may add anyone to the encrypted roster or
// leak a key; what cannot be prevented must be visible (warnings, roster, security codes).
import { describe, expect, it } from 'vitest';
import { KeyAgent, sameCode, type AgentEffect } from '../../../shared/e2ee/index.js';
import { buildAnnouncement } from '../../../shared/e2ee/announcement.js';
import { fromHex } from '../../../shared/e2ee/bytes.js';
import {
  forceCurveBackend,
  LowOrderPointError,
  x25519Shared,
} from '../../../shared/e2ee/curves.js';
import { roleFor } from '../../../shared/e2ee/handshake.js';
import { IdentityKey, createSessionKey } from '../../../shared/e2ee/identity.js';
import { deriveRoomKeys } from '../../../shared/e2ee/roomSecret.js';
import {
  decodeRelayMessage,
  encodeHello,
  encodeInit,
  encodeResp,
} from '../../../shared/e2ee/wire.js';
import { Rng } from './sim/rng.js';
import { allDecryptAll, World, type Member } from './sim/World.js';

// RFC 7748 §6.1 low-order and non-canonical Curve25519 points (the usual blocklist).
const LOW_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

async function twoMembers(seed: number): Promise<{ w: World; a: Member; b: Member }> {
  const w = new World(seed);
  const a = await w.join('a');
  const b = await w.join('b');
  await w.settle();
  return { w, a, b };
}

function sends(fx: AgentEffect[]): number {
  return fx.filter((e) => e.type === 'send').length;
}

/** An insider or outsider crafting announcements with chosen keys. */
async function craftedAnnouncement(opts: {
  roomSecret: Uint8Array;
  peerId: string;
  sessionPublic?: Uint8Array;
  rng: Rng;
}) {
  const room = deriveRoomKeys(opts.roomSecret, 'room-1');
  const identity = IdentityKey.generate(opts.rng.bytes);
  const session = createSessionKey(opts.rng.bytes);
  const s = opts.sessionPublic
    ? { secret: session.secret, publicKey: new Uint8Array(opts.sessionPublic) }
    : session;
  return { raw: await buildAnnouncement(room, opts.peerId, identity, s, 'Mallory'), session: s };
}

describe('malicious relay: membership', () => {
  it('ignores and counts announcements from outside the room (no room secret)', async () => {
    const { w, a } = await twoMembers(11);
    const ghost = await craftedAnnouncement({
      roomSecret: w.rng.bytes(32),
      peerId: 'ghost',
      rng: w.rng,
    });
    const fx1 = await a.agent.handleRelay('ghost', encodeHello(ghost.raw));
    const fx2 = await a.agent.handleRelay('ghost', encodeInit(ghost.raw, w.rng.bytes(16)));
    expect(sends([...fx1, ...fx2])).toBe(0);
    expect(a.agent.warnings().BAD_MEMBERSHIP_MAC).toBe(2);
    await w.settle();
    expect(a.rosterIds()).toEqual(['a', 'b']);
  });

  it('a false "peer joined" creates no roster entry and is reported as a silent peer', async () => {
    const { w, a } = await twoMembers(12);
    await a.apply(await a.agent.handlePeerJoined('phantom'), w);
    await w.settle(40_000);
    expect(a.rosterIds()).toEqual(['a', 'b']);
    expect(a.agent.warnings().PEER_SILENT).toBe(1);
  });

  it('replayed announcements and handshakes of a member who left bring back no ghost', async () => {
    const w = new World(13);
    const a = await w.join('a');
    const b = await w.join('b');
    await w.join('x');
    await w.settle();
    const fromX = w.recorded.filter((m) => m.from === 'x');
    await w.leave('x');
    await w.settle();
    const c = await w.join('c'); // never saw x
    await w.settle();
    const marks = new Map([a, b, c].map((m) => [m.id, m.effects.length]));
    for (const m of fromX)
      for (const to of ['a', 'b', 'c']) w.queue.push({ from: 'x', to, payload: m.payload });
    w.policy = { drop: 0, duplicate: 0.3, reorder: true };
    await w.deliverAll();
    await w.settle(20_000);
    for (const m of [a, b, c]) {
      expect(m.rosterIds()).toEqual(['a', 'b', 'c']);
      const later = m.effects.slice(marks.get(m.id));
      const rosters = later.filter((e) => e.type === 'rosterChanged');
      expect(
        rosters.every((e) => e.type === 'rosterChanged' && e.roster.every((r) => r.peerId !== 'x')),
      ).toBe(true);
      expect(later.some((e) => e.type === 'remoteKeyAdded' && e.peerId === 'x')).toBe(false);
    }
    const refused = (m: Member) =>
      m.warnings('HANDSHAKE_FAILED') +
      m.warnings('UNKNOWN_CHANNEL') +
      m.warnings('HANDSHAKE_TIMEOUT');
    expect(refused(a) + refused(b) + refused(c)).toBeGreaterThan(0);
  });

  it('a false "peer left" removes the member visibly (roster and security code change)', async () => {
    const w = new World(14);
    const a = await w.join('a');
    await w.join('b');
    await w.join('c');
    await w.settle();
    const before = a.agent.securityCode();
    const fx = await a.agent.handlePeerLeft('b');
    await a.apply(fx, w);
    expect(fx.some((e) => e.type === 'rosterChanged')).toBe(true);
    expect(fx.some((e) => e.type === 'securityCodeChanged')).toBe(true);
    expect(a.rosterIds()).toEqual(['a', 'c']);
    expect(sameCode(before, a.agent.securityCode())).toBe(false);
    // b is still there: its next channel message makes a offer a new handshake, which only a live
    // session can complete. b comes back (visibly again) and everyone converges.
    const b = w.members.get('b')!;
    await b.apply(await b.agent.sendChat('still here'), w);
    await w.settle(40_000);
    expect(a.rosterIds()).toEqual(['a', 'b', 'c']);
    expect(a.warnings('UNKNOWN_CHANNEL')).toBeGreaterThan(0);
    expect(await allDecryptAll(w)).toEqual([]);
  });

  it('refuses announcements relabelled with another peer id, and its own reflected back', async () => {
    const { w, a, b } = await twoMembers(15);
    const helloB = w.recorded.find(
      (m) => m.from === 'b' && decodeRelayMessage(m.payload).kind === 'hello',
    )!;
    await a.agent.handleRelay('c', helloB.payload);
    expect(a.agent.warnings().PEER_ID_MISMATCH).toBe(1);
    await b.agent.handleRelay('b', helloB.payload);
    expect(b.agent.warnings().SELF_ANNOUNCEMENT).toBe(1);
    expect(a.rosterIds()).toEqual(['a', 'b']);
  });

  it('counts malformed and oversized input without crashing', async () => {
    const { w, a } = await twoMembers(16);
    await a.agent.handleRelay('b', new Uint8Array([0xb1]));
    await a.agent.handleRelay('b', new Uint8Array([0x00, 0x01, 0x02]));
    await a.agent.handleRelay('b', w.rng.bytes(300));
    await a.agent.handleRelay('b', new Uint8Array(64 * 1024 + 1));
    await a.agent.handleRelay('bad id!', new Uint8Array([0xb1, 1]));
    expect(a.agent.warnings().MALFORMED).toBe(3);
    expect(a.agent.warnings().OVERSIZE).toBe(1);
    expect(a.agent.warnings().INVALID_PEER_ID).toBe(1);
    await w.settle();
    expect(a.rosterIds()).toEqual(['a', 'b']);
  });
});

describe('malicious relay: key substitution (MITM)', () => {
  it('a swapped session or identity key breaks the MAC (outsider) or the signature (insider)', async () => {
    const w = new World(21);
    const a = await w.join('a');
    const b = await w.join('b');
    await w.settle();
    const first = w.recorded
      .map((m) => decodeRelayMessage(m.payload))
      .find((m) => m.kind !== 'channel' && m.ann.peerId === 'a');
    const helloA = encodeHello(first!.kind !== 'channel' ? first!.ann.raw : new Uint8Array());
    const attacker = createSessionKey(w.rng.bytes);
    // Layout: magic, type, u8 len, "a", identity (32), session (32), ...
    const sessionOffset = 3 + 1 + 32;
    const swappedSession = helloA.slice();
    swappedSession.set(attacker.publicKey, sessionOffset);
    await b.agent.handleRelay('a', swappedSession);
    const swappedIdentity = helloA.slice();
    swappedIdentity.set(IdentityKey.generate(w.rng.bytes).publicKey, 4);
    await b.agent.handleRelay('a', swappedIdentity);
    expect(b.agent.warnings().BAD_MEMBERSHIP_MAC).toBe(2);

    // An insider (room secret known) re-MACs a's announcement with its own session key: the
    // signature by a's identity no longer matches.
    const room = deriveRoomKeys(w.roomSecret, 'room-1');
    const { hmac } = await import('@noble/hashes/hmac.js');
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const { concat, lp, utf8Encode } = await import('../../../shared/e2ee/bytes.js');
    const body = swappedSession.slice(2, swappedSession.length - 32);
    const mac = hmac(
      sha256,
      room.membership,
      concat(utf8Encode('blindcall/v1 membership'), lp(utf8Encode('room-1')), body),
    );
    await b.agent.handleRelay(
      'a',
      concat(swappedSession.slice(0, swappedSession.length - 32), mac),
    );
    expect(b.agent.warnings().BAD_SIGNATURE).toBe(1);
    await w.settle();
    expect(b.rosterIds()).toEqual(['a', 'b']);
    expect(sameCode(a.agent.securityCode(), b.agent.securityCode())).toBe(true);
    expect(b.agent.roster().find((r) => r.peerId === 'a')!.identityKey).toEqual(
      a.agent.roster()[0]!.identityKey,
    );
  });

  it('an insider MITM that impersonates each side with its own identity is visible in the security codes', async () => {
    const rng = new Rng(22);
    const secret = rng.bytes(32);
    let now = 0;
    const mk = (id: string) =>
      new KeyAgent({
        roomId: 'room-1',
        selfPeerId: id,
        roomSecret: secret,
        identity: rng.bytes(32),
        displayName: id,
        clock: { now: () => now },
        random: rng.bytes,
      });
    const a = mk('a');
    const b = mk('b');
    const mA = mk('a'); // talks to b, pretending to be a
    const mB = mk('b'); // talks to a, pretending to be b
    // Routing: a <-> mB, b <-> mA. Everything is relayed faithfully within each half.
    const route = new Map<KeyAgent, KeyAgent>([
      [a, mB],
      [mB, a],
      [b, mA],
      [mA, b],
    ]);
    const ids = new Map([
      [a, 'a'],
      [b, 'b'],
      [mA, 'a'],
      [mB, 'b'],
    ]);
    const q: { to: KeyAgent; from: string; payload: Uint8Array }[] = [];
    const push = (src: KeyAgent, fx: AgentEffect[]) => {
      for (const e of fx)
        if (e.type === 'send')
          q.push({ to: route.get(src)!, from: ids.get(src)!, payload: e.payload });
    };
    for (const ag of [a, b, mA, mB]) push(ag, await ag.start());
    for (let round = 0; round < 40; round++) {
      while (q.length > 0) {
        const m = q.shift()!;
        push(m.to, await m.to.handleRelay(m.from, m.payload));
      }
      now += 250;
      for (const ag of [a, b, mA, mB]) push(ag, await ag.tick());
    }
    expect(a.roster().map((r) => r.peerId)).toEqual(['a', 'b']);
    expect(
      b
        .roster()
        .map((r) => r.peerId)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(sameCode(a.securityCode(), b.securityCode())).toBe(false);
    expect(sameCode(a.pairwiseCode('b')!, b.pairwiseCode('a')!)).toBe(false);
  });
});

describe('malicious relay: forged and replayed key messages', () => {
  it('rejects tampered, replayed, re-addressed and invented channel messages', async () => {
    const { w, a, b } = await twoMembers(31);
    const adversarial: AgentEffect[] = [];
    // Capture a's next channel message to b (a chat) before the relay delivers it.
    const out = (await a.agent.sendChat('secret plan')).find((e) => e.type === 'send');
    const genuine = out?.type === 'send' ? out.payload : new Uint8Array();
    expect(decodeRelayMessage(genuine).kind).toBe('channel');
    expect(Buffer.from(genuine).includes(Buffer.from('secret plan'))).toBe(false);
    const tampered = genuine.slice();
    tampered[tampered.length - 20] = tampered[tampered.length - 20]! ^ 1;
    adversarial.push(...(await b.agent.handleRelay('a', tampered)));
    expect(b.agent.warnings().CHANNEL_AUTH_FAILED).toBe(1);
    const counterChanged = genuine.slice();
    counterChanged[17] = counterChanged[17]! ^ 0x40; // the counter is authenticated (AAD) and picks the nonce
    adversarial.push(...(await b.agent.handleRelay('a', counterChanged)));
    expect(b.agent.warnings().CHANNEL_AUTH_FAILED).toBe(2);
    const ok = await b.agent.handleRelay('a', genuine);
    expect(ok.filter((e) => e.type === 'chat')).toHaveLength(1);
    adversarial.push(...(await b.agent.handleRelay('a', genuine)));
    expect(b.agent.warnings().CHANNEL_REPLAY).toBe(1);
    const c = await w.join('c');
    await w.settle();
    await c.agent.handleRelay('a', genuine); // a's channel to b, shown to c
    expect(c.agent.warnings().UNKNOWN_CHANNEL).toBe(1);
    const invented = new Uint8Array([
      0xb1,
      0x04,
      ...w.rng.bytes(8),
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      1,
      ...w.rng.bytes(60),
    ]);
    adversarial.push(...(await b.agent.handleRelay('a', invented)));
    expect(b.agent.warnings().UNKNOWN_CHANNEL).toBe(1);
    expect(adversarial.filter((e) => e.type !== 'warning')).toEqual([]);
  });

  it('a handshake response with a forged confirmation is refused', async () => {
    const w = new World(32);
    const a = await w.join('a');
    const rng = new Rng(5);
    // Insider crafts an announcement whose session key makes `a` the initiator.
    let crafted;
    do crafted = await craftedAnnouncement({ roomSecret: w.roomSecret, peerId: 'm', rng });
    while (roleFor(a.agent['session'].publicKey, crafted.session.publicKey) !== 'initiator');
    const fx = await a.agent.handleRelay('m', encodeHello(crafted.raw));
    const init = fx.find((e) => e.type === 'send')!;
    const msg = decodeRelayMessage(init.type === 'send' ? init.payload : new Uint8Array());
    expect(msg.kind).toBe('init');
    const nI = msg.kind === 'init' ? msg.nI : new Uint8Array();
    await a.agent.handleRelay('m', encodeResp(crafted.raw, nI, rng.bytes(16), rng.bytes(32)));
    expect(a.agent.warnings().HANDSHAKE_FAILED).toBe(1);
    expect(a.rosterIds()).toEqual(['a']);
  });
});

describe('low-order X25519 points', () => {
  for (const backend of ['webcrypto', 'noble'] as const) {
    it(`x25519Shared rejects every low-order point (${backend})`, async () => {
      forceCurveBackend(backend);
      try {
        const me = createSessionKey(new Rng(1).bytes);
        for (const p of LOW_ORDER_POINTS)
          await expect(x25519Shared(me.secret, fromHex(p))).rejects.toBeInstanceOf(
            LowOrderPointError,
          );
        const other = createSessionKey(new Rng(2).bytes);
        expect((await x25519Shared(me.secret, other.publicKey)).length).toBe(32);
      } finally {
        forceCurveBackend(null);
      }
    });
  }

  it('a member refuses handshakes with low-order session keys', async () => {
    const w = new World(41);
    const a = await w.join('a');
    const rng = new Rng(9);
    for (const [i, hex] of LOW_ORDER_POINTS.entries()) {
      const peerId = `lo${i}`;
      const crafted = await craftedAnnouncement({
        roomSecret: w.roomSecret,
        peerId,
        sessionPublic: fromHex(hex),
        rng,
      });
      if (roleFor(a.agent['session'].publicKey, crafted.session.publicKey) === 'responder') {
        const fx = await a.agent.handleRelay(peerId, encodeInit(crafted.raw, rng.bytes(16)));
        expect(sends(fx)).toBe(0);
      } else {
        const fx = await a.agent.handleRelay(peerId, encodeHello(crafted.raw));
        const init = fx.find((e) => e.type === 'send');
        const msg = decodeRelayMessage(init?.type === 'send' ? init.payload : new Uint8Array());
        const nI = msg.kind === 'init' ? msg.nI : new Uint8Array(16);
        await a.agent.handleRelay(
          peerId,
          encodeResp(crafted.raw, nI, rng.bytes(16), rng.bytes(32)),
        );
      }
    }
    expect(a.agent.warnings().LOW_ORDER_POINT).toBe(LOW_ORDER_POINTS.length);
    expect(a.rosterIds()).toEqual(['a']);
  });
});
