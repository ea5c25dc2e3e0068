// Key-protocol fuzz: random bytes, truncated, bit-flipped and replayed key-protocol messages, from
// real and made-up sender ids, into the KeyAgents of a settled room (the relay as attacker), then
// interleaved with a newcomer's join. No exception escapes handleRelay; the garbage changes no
// key, roster or security code; and once the relay is honest again every member converges (every
// member decrypts every other, rosters agree). Protocol-agnostic: it only needs recorded messages
// and the agent's effects, so it will carry over to the MLS messages. Seeded (FUZZ_SEED).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentEffect } from '../../../shared/e2ee/index.js';
import { fuzzScale, fuzzSeed, printTable } from '../../fuzz/seed.js';
import { allDecryptAll, World, type InFlight, type Member } from './sim/World.js';

type Hostile =
  | { t: 'random'; bytes: Uint8Array }
  | { t: 'truncate'; pick: number; len: number }
  | { t: 'flip'; pick: number; pos: number; mask: number }
  | { t: 'replay'; pick: number }
  | { t: 'extend'; pick: number; extra: Uint8Array };

const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  fc.record({ t: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ t: fc.constant('truncate' as const), pick: fc.nat(), len: fc.nat() }),
  fc.record({
    t: fc.constant('flip' as const),
    pick: fc.nat(),
    pos: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ t: fc.constant('replay' as const), pick: fc.nat() }),
  fc.record({
    t: fc.constant('extend' as const),
    pick: fc.nat(),
    extra: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);
/** Who the relay claims sent it: a member, the target itself, a stranger, or an invalid id. */
const claimed = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'stranger') },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(100), 'bad id!') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
interface Injection {
  h: Hostile;
  from: string;
  to: string;
}
const injection: fc.Arbitrary<Injection> = fc.record({
  h: hostile,
  from: claimed,
  to: fc.constantFrom('a', 'b', 'c'),
});

const KEY_EFFECTS = new Set<AgentEffect['type']>([
  'localKeyChanged',
  'remoteKeyAdded',
  'remoteKeyRemoved',
  'rosterChanged',
  'securityCodeChanged',
  'chat',
]);

const byKind = new Map<string, number>();
const warnings = new Map<string, number>();
let messages = 0;

function build(h: Hostile, recorded: readonly InFlight[]): Uint8Array {
  if (h.t === 'random' || recorded.length === 0)
    return h.t === 'random' ? h.bytes : new Uint8Array(1);
  const src = recorded[h.pick % recorded.length]!.payload;
  switch (h.t) {
    case 'truncate':
      return src.slice(0, h.len % src.length);
    case 'flip': {
      const out = src.slice();
      out[h.pos % out.length]! ^= h.mask;
      return out;
    }
    case 'replay':
      return src.slice();
    case 'extend': {
      const out = new Uint8Array(src.length + h.extra.length);
      out.set(src);
      out.set(h.extra, src.length);
      return out;
    }
  }
}

function snapshot(m: Member): string {
  return JSON.stringify({
    roster: m.agent.roster().map((r) => [r.peerId, r.displayName]),
    kid: m.agent.currentKid,
    keys: m.ctx.receiverKids(),
    code: m.agent.securityCode(),
  });
}

/** Feeds one hostile message; returns the effects (must not throw). */
async function inject(w: World, i: Injection): Promise<AgentEffect[]> {
  const target = w.members.get(i.to)!;
  const payload = build(i.h, w.recorded);
  byKind.set(i.h.t, (byKind.get(i.h.t) ?? 0) + 1);
  messages++;
  const fx = await target.agent.handleRelay(i.from, payload);
  for (const e of fx)
    if (e.type === 'warning') warnings.set(e.code, (warnings.get(e.code) ?? 0) + 1);
  await target.apply(
    fx.filter((e) => e.type !== 'send'), // replies to garbage go nowhere
    w,
  );
  return fx;
}

describe('key-protocol fuzz (pairwise KeyAgent)', () => {
  const seed = fuzzSeed('key-protocol fuzz');

  afterAll(() => {
    console.log(`[fuzz] key-protocol fuzz: seed ${seed}, ${messages} hostile messages`);
    printTable(
      'hostile messages by kind',
      [...byKind].map(([kind, n]) => ({ kind, n })),
    );
    printTable(
      'warnings raised',
      [...warnings].sort().map(([code, n]) => ({ code, n })),
    );
  });

  it('garbage changes nothing, throws nothing, and honest members still converge', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(injection, { minLength: 30, maxLength: 60 }),
        fc.array(injection, { minLength: 10, maxLength: 30 }),
        async (worldSeed, before, during) => {
          const w = new World(worldSeed);
          for (const id of ['a', 'b', 'c']) await w.join(id);
          await w.settle();
          const snaps = new Map([...w.members].map(([id, m]) => [id, snapshot(m)]));

          // 1. A settled room: no garbage may change a key, the roster or a security code.
          for (const i of before) {
            const fx = await inject(w, i);
            const changed = fx.filter((e) => KEY_EFFECTS.has(e.type));
            expect(
              changed.map((e) => e.type),
              `${i.h.t} from ${i.from}`,
            ).toEqual([]);
          }
          for (const [id, m] of w.members) expect(snapshot(m), id).toBe(snaps.get(id));

          // 2. A newcomer's handshake with garbage in between its messages.
          const d = await w.join('d');
          for (const [k, i] of during.entries()) {
            await inject(w, i);
            if (k % 3 === 0) await w.deliverOne();
          }
          await w.settle();
          expect(await allDecryptAll(w)).toEqual([]);
          for (const m of w.members.values()) expect(m.rosterIds()).toEqual(['a', 'b', 'c', 'd']);
          expect(d.agent.roster()).toHaveLength(4);
        },
      ),
      { seed, numRuns: fuzzScale(40), endOnFailure: process.env.FUZZ_SHRINK !== '1' },
    );
  }, 300_000);
});
