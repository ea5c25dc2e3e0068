import { describe, expect, it } from 'vitest';
import { IdentityKey, KeyAgent, KeyAgentError, sameCode } from '../../../shared/e2ee/index.js';
import { Rng } from './sim/rng.js';
import { allDecryptAll, tryDecrypt, World } from './sim/World.js';

describe('KeyAgent basics', () => {
  it('two members verify each other, agree on the security code, and decrypt each other', async () => {
    const w = new World(1);
    const a = await w.join('alice');
    const b = await w.join('bob');
    await w.settle();
    expect(a.rosterIds()).toEqual(['alice', 'bob']);
    expect(b.rosterIds()).toEqual(['alice', 'bob']);
    expect(a.agent.roster().find((r) => r.peerId === 'bob')?.displayName).toBe('Member bob');
    expect(sameCode(a.agent.securityCode(), b.agent.securityCode())).toBe(true);
    expect(sameCode(a.agent.pairwiseCode('bob')!, b.agent.pairwiseCode('alice')!)).toBe(true);
    expect(await allDecryptAll(w)).toEqual([]);
    expect(a.agent.warnings()).toEqual({});
    expect(b.agent.warnings()).toEqual({});
  });

  it('the security code changes when membership changes', async () => {
    const w = new World(2);
    const a = await w.join('a');
    await w.join('b');
    await w.settle();
    const two = a.agent.securityCode();
    await w.join('c');
    await w.settle();
    const three = a.agent.securityCode();
    expect(sameCode(two, three)).toBe(false);
    await w.leave('c');
    await w.settle();
    expect(sameCode(a.agent.securityCode(), two)).toBe(true);
  });

  it('join: a newcomer cannot decrypt frames sent before it joined; current members follow the ratchet', async () => {
    const w = new World(3);
    const a = await w.join('a');
    const b = await w.join('b');
    await w.settle();
    const before = await a.ctx.encrypt(w.rng.bytes(40), 'opus');
    const kidBefore = a.agent.currentKid;
    const c = await w.join('c');
    await w.settle();
    expect(a.agent.currentKid).not.toBe(kidBefore);
    expect(await tryDecrypt(c.ctx, before)).not.toMatch(/^ok/);
    // b received no new key from a for c's join; it derives it from the ratchet.
    const after = await a.ctx.encrypt(w.rng.bytes(40), 'opus');
    expect(await tryDecrypt(b.ctx, after)).toBe('ok:a');
    expect(b.ctx.stats().ratcheted).toBeGreaterThan(0);
    expect(await allDecryptAll(w)).toEqual([]);
  });

  it('leave: remaining members switch to fresh keys the leaver cannot derive', async () => {
    const w = new World(4);
    await w.join('a');
    await w.join('b');
    const c = await w.join('c');
    await w.settle();
    await w.leave('c');
    await w.settle();
    for (const m of w.members.values()) {
      const f = await m.ctx.encrypt(w.rng.bytes(40), 'opus');
      expect(await tryDecrypt(c.ctx, f)).toBe('UNKNOWN_KID');
    }
    expect(await allDecryptAll(w)).toEqual([]);
  });

  it('switches after all acknowledgements, or after the timeout if a member never answers', async () => {
    const w = new World(5);
    const a = await w.join('a');
    await w.join('b');
    await w.join('c');
    await w.join('d');
    await w.settle();
    // d stops answering (its messages are dropped), then b leaves.
    w.intercept = (m) => (m.from === 'd' ? null : m);
    const kid0 = a.agent.currentKid;
    await w.leave('b');
    await w.deliverAll();
    expect(a.agent.currentKid).toBe(kid0); // waiting for d's acknowledgement
    await w.tickAll(999);
    await w.deliverAll();
    expect(a.agent.currentKid).toBe(kid0);
    await w.tickAll(1);
    expect(a.agent.currentKid).not.toBe(kid0);
    expect(a.warnings('KEY_ACK_TIMEOUT')).toBe(1);
  });

  it('a lost key is re-sent at the time nextDeadline() names; the switch follows its acknowledgement', async () => {
    const w = new World(8);
    const a = await w.join('a');
    await w.join('b');
    await w.join('c');
    await w.settle();
    const kid0 = a.agent.currentKid;
    let dropped = 0;
    w.intercept = (m) => (m.from === 'a' && m.to === 'c' && dropped++ === 0 ? null : m);
    const t0 = w.now;
    await a.apply(await a.agent.rekey(), w);
    await w.deliverAll();
    expect(dropped).toBe(1); // a's key to c was lost; b's acknowledgement arrived
    expect(a.agent.currentKid).toBe(kid0);
    expect(a.agent.nextDeadline()).toBe(t0 + 500); // the retry, before the 1 s switch timeout
    w.now = t0 + 500;
    await a.apply(await a.agent.tick(), w);
    await w.deliverAll();
    expect(a.agent.currentKid).not.toBe(kid0);
    expect(a.warnings('KEY_ACK_TIMEOUT')).toBe(0);
    expect(await allDecryptAll(w)).toEqual([]);
  });

  it('rekey on demand and periodic rekey produce fresh keys everyone can use', async () => {
    const w = new World(6, 'room-r', { rekeyIntervalMs: 60_000 });
    const a = await w.join('a');
    await w.join('b');
    await w.settle();
    const k1 = a.agent.currentKid;
    await a.apply(await a.agent.rekey(), w);
    await w.settle();
    const k2 = a.agent.currentKid;
    expect(k2).not.toBe(k1);
    expect(await allDecryptAll(w)).toEqual([]);
    w.now += 60_000;
    await w.settle();
    expect(a.agent.currentKid).not.toBe(k2);
    expect(await allDecryptAll(w)).toEqual([]);
  });

  it('carries chat and display-name changes over the pairwise channels', async () => {
    const w = new World(7);
    const a = await w.join('a');
    const b = await w.join('b');
    await w.settle();
    const sentAt = w.now;
    await a.apply(await a.agent.sendChat('hello 👋'), w);
    await a.apply(await a.agent.setDisplayName('Alice'), w);
    await w.settle();
    expect(b.effects.filter((e) => e.type === 'chat')).toEqual([
      { type: 'chat', from: 'a', text: 'hello 👋', at: sentAt },
    ]);
    expect(b.agent.roster().find((r) => r.peerId === 'a')?.displayName).toBe('Alice');
  });

  it('marks a member as verified by the user and reports it in the roster', async () => {
    const w = new World(8);
    const a = await w.join('a');
    await w.join('b');
    await w.settle();
    const fx = await a.agent.markVerified('b', true);
    expect(fx.find((e) => e.type === 'rosterChanged')).toBeDefined();
    expect(a.agent.roster().find((r) => r.peerId === 'b')?.verified).toBe(true);
    await expect(a.agent.markVerified('nobody', true)).rejects.toBeInstanceOf(KeyAgentError);
  });

  it('close is idempotent and later inputs throw CLOSED', async () => {
    const w = new World(9);
    const a = await w.join('a');
    expect(await a.agent.close()).toEqual([{ type: 'closed' }]);
    expect(await a.agent.close()).toEqual([]);
    await expect(a.agent.tick()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('validates its configuration', () => {
    const base = {
      roomId: 'r',
      selfPeerId: 'p',
      roomSecret: new Uint8Array(32),
      identity: new Uint8Array(32),
      displayName: 'x',
      clock: { now: () => 0 },
      random: (n: number) => new Uint8Array(n).fill(1),
    };
    expect(() => new KeyAgent({ ...base, roomSecret: new Uint8Array(31) })).toThrow(KeyAgentError);
    expect(() => new KeyAgent({ ...base, selfPeerId: 'bad id' })).toThrow(KeyAgentError);
    expect(() => new KeyAgent({ ...base, options: { graceMs: 500 } })).toThrow(KeyAgentError);
  });

  it('is deterministic: the same seed gives the same wire bytes', async () => {
    async function run(): Promise<string> {
      const w = new World(42);
      await w.join('a');
      await w.join('b');
      await w.join('c');
      await w.settle();
      return w.recorded
        .map((m) => `${m.from}>${m.to}:${Buffer.from(m.payload).toString('hex')}`)
        .join('\n');
    }
    expect(await run()).toBe(await run());
  });

  it('nextDeadline() is enough to drive every timer (no periodic polling needed)', async () => {
    const w = new World(10);
    for (let i = 0; i < 4; i++) await w.join();
    w.policy = { drop: 0.2, duplicate: 0, reorder: true };
    await w.deliverAll();
    await w.leave('p1');
    await w.join();
    // Advance simulated time only to the earliest deadline any member reports.
    for (let steps = 0; steps < 2000; steps++) {
      await w.deliverAll();
      const deadlines = [...w.members.values()]
        .map((m) => m.agent.nextDeadline())
        .filter((t): t is number => t !== null);
      const next = Math.min(...deadlines);
      if (next > w.now + 60_000) break; // only the periodic rekey is left
      w.policy = steps > 200 ? { drop: 0, duplicate: 0, reorder: false } : w.policy;
      w.now = Math.max(w.now, next);
      for (const m of w.members.values()) await m.apply(await m.agent.tick(), w);
    }
    expect(await allDecryptAll(w)).toEqual([]);
    for (const m of w.members.values()) expect(m.rosterIds()).toEqual([...w.members.keys()].sort());
  });

  it("nextDeadline() names a reported peer's HELLO retry, and forgets it once the peer left", async () => {
    const w = new World(11);
    const a = await w.join('a');
    await w.settle();
    const idle = a.agent.nextDeadline(); // only the periodic rekey
    expect(idle).toBe(600_000);
    await a.apply(await a.agent.handlePeerJoined('ghost'), w);
    expect(a.agent.nextDeadline()).toBe(w.now + 500);
    await a.apply(await a.agent.handlePeerLeft('ghost'), w);
    expect(a.agent.nextDeadline()).toBe(idle);
  });

  it('a stored identity keeps the pairwise code across calls; the room code is per room', async () => {
    const idA = IdentityKey.generate(new Rng(1).bytes).toBytes();
    const idB = IdentityKey.generate(new Rng(2).bytes).toBytes();
    const codes = [];
    for (const seed of [20, 21]) {
      const w = new World(seed, `room-${seed}`);
      const a = await w.join('a', w.newAgent('a', IdentityKey.fromBytes(idA).toBytes()));
      await w.join('b', w.newAgent('b', idB));
      await w.settle();
      codes.push({ pair: a.agent.pairwiseCode('b')!, room: a.agent.securityCode() });
    }
    expect(sameCode(codes[0]!.pair, codes[1]!.pair)).toBe(true);
    expect(sameCode(codes[0]!.room, codes[1]!.room)).toBe(false);
  });
});
