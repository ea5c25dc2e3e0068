// Key-protocol fuzz on MLS (issue 15 §3): random, truncated, bit-flipped, extended and replayed key
// messages into the GroupMembers of a settled room, from two attackers: the relay (no room secret,
// so it can only mangle or replay sealed envelopes) and an insider who holds the link (it seals
// mangled MLS bodies under the real room key, so ts-mls's own decoder and checks see the garbage).
// No exception other than MlsLayerError escapes `process`; the garbage changes no epoch, member,
// room code or SFrame key; and the honest members still converge afterwards, also when the garbage
// is interleaved with a newcomer's join. Seeded (FUZZ_SEED), scaled (FUZZ_SCALE).
import { randomBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  deriveEnvelopeKeys,
  GroupMember,
  MlsLayerError,
  openEnvelope,
  sealEnvelope,
  type EnvelopeKeys,
} from '../../../shared/mls/index.js';
import { fuzzScale, fuzzSeed, printTable } from '../../fuzz/seed.js';

type Mangle =
  | { t: 'random'; bytes: Uint8Array }
  | { t: 'truncate'; pick: number; len: number }
  | { t: 'flip'; pick: number; pos: number; mask: number }
  | { t: 'replay'; pick: number }
  | { t: 'extend'; pick: number; extra: Uint8Array };

const mangle: fc.Arbitrary<Mangle> = fc.oneof(
  fc.record({ t: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 400 }) }),
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

/** `relay`: mangles whole envelopes. `insider`: mangles the MLS body and reseals it properly. */
interface Injection {
  by: 'relay' | 'insider';
  m: Mangle;
  to: number;
}
const injection: fc.Arbitrary<Injection> = fc.record({
  by: fc.constantFrom('relay' as const, 'insider' as const),
  m: mangle,
  to: fc.nat(),
});

const byKind = new Map<string, number>();
const outcomes = new Map<string, number>();
let messages = 0;
const count = (map: Map<string, number>, k: string): void => {
  map.set(k, (map.get(k) ?? 0) + 1);
};

function apply(m: Mangle, corpus: readonly Uint8Array[]): Uint8Array {
  if (m.t === 'random') return m.bytes;
  const src = corpus[m.pick % corpus.length]!;
  switch (m.t) {
    case 'truncate':
      return src.slice(0, m.len % src.length);
    case 'flip': {
      const out = src.slice();
      out[m.pos % out.length]! ^= m.mask;
      return out;
    }
    case 'replay':
      return src.slice();
    case 'extend': {
      const out = new Uint8Array(src.length + m.extra.length);
      out.set(src);
      out.set(m.extra, src.length);
      return out;
    }
  }
}

class Room {
  readonly secret = randomBytes(32);
  readonly keys: EnvelopeKeys = deriveEnvelopeKeys(this.secret, 'fuzz-room');
  readonly members: GroupMember[] = [];
  /** Every envelope the members have already processed or that is not theirs to process. */
  readonly corpus: Uint8Array[] = [];
  /** The MLS bodies inside `corpus`, with their clear headers, for the insider to mangle. */
  readonly bodies: {
    kind: 'commit' | 'application' | 'groupInfo';
    epoch: bigint;
    body: Uint8Array;
  }[] = [];

  private cfg(i: number) {
    return {
      roomId: 'fuzz-room',
      roomSecret: this.secret,
      identity: new TextEncoder().encode(`member ${i}`),
    };
  }

  private record(env: Uint8Array): void {
    this.corpus.push(env);
    const o = openEnvelope(this.keys, env);
    if (o.kind === 'commit' || o.kind === 'application' || o.kind === 'groupInfo')
      this.bodies.push({ kind: o.kind, epoch: o.epoch, body: o.body });
  }

  async found(): Promise<void> {
    this.members.push(await GroupMember.create(this.cfg(0), randomBytes(16)));
  }

  /** An external join that every current member processes; returns the newcomer. */
  async join(): Promise<GroupMember> {
    const gi = await this.members[0]!.groupInfo();
    this.record(gi);
    const j = await GroupMember.joinExternal(this.cfg(this.members.length), gi);
    j.member.confirm();
    for (const m of this.members) expect((await m.process(j.commit.commit)).kind).toBe('advanced');
    this.record(j.commit.commit);
    this.record(j.commit.groupInfo);
    this.members.push(j.member);
    return j.member;
  }

  /** One application message from each member, delivered to every other. */
  async chatter(): Promise<void> {
    for (const from of this.members) {
      const env = await from.application(new TextEncoder().encode('hello'));
      for (const to of this.members)
        if (to !== from) expect((await to.process(env)).kind).toBe('application');
      this.record(env);
    }
  }

  build(i: Injection): Uint8Array {
    if (i.by === 'relay') return apply(i.m, this.corpus);
    const src = this.bodies[i.m.t === 'random' ? 0 : i.m.pick % this.bodies.length]!;
    const body = apply(
      i.m,
      this.bodies.map((b) => b.body),
    );
    // The insider labels the mangled body with a real header, so it passes the envelope layer.
    return sealEnvelope(this.keys, { kind: src.kind, epoch: src.epoch }, body);
  }
}

async function snapshot(m: GroupMember): Promise<string> {
  return JSON.stringify({
    epoch: m.epoch.toString(),
    code: m.roomCode().full,
    pending: m.hasPendingCommit,
    members: m
      .members()
      .map((x) => [x.leafIndex, Buffer.from(x.signaturePublicKey).toString('hex')]),
    sframe: Buffer.from(await m.sframeBaseKey()).toString('hex'),
  });
}

/** Feeds one hostile message to one member; anything but MlsLayerError or "stale" fails the test. */
async function inject(room: Room, i: Injection): Promise<void> {
  const target = room.members[i.to % room.members.length]!;
  const env = room.build(i);
  messages++;
  count(byKind, `${i.by} ${i.m.t}`);
  try {
    const out = await target.process(env);
    count(outcomes, out.kind);
    // Only a stale message may "succeed": a replay of an epoch the member already left.
    expect(out.kind, `${i.by} ${i.m.t} was accepted`).toBe('stale');
  } catch (e) {
    if (!(e instanceof MlsLayerError)) throw e;
    count(outcomes, e.code);
  }
}

async function converged(room: Room): Promise<void> {
  const [first, ...rest] = room.members;
  const c = await first!.commit({});
  first!.confirm();
  for (const m of rest) expect(await m.process(c.commit)).toMatchObject({ kind: 'advanced' });
  const codes = new Set(room.members.map((m) => m.roomCode().full));
  expect(codes.size).toBe(1);
  const keys = new Set(
    await Promise.all(
      room.members.map(async (m) => Buffer.from(await m.sframeBaseKey()).toString('hex')),
    ),
  );
  expect(keys.size).toBe(1);
  await room.chatter();
}

describe('key-protocol fuzz (MLS GroupMember)', () => {
  const seed = fuzzSeed('MLS key-protocol fuzz');

  afterAll(() => {
    console.log(`[fuzz] MLS key-protocol fuzz: seed ${seed}, ${messages} hostile messages`);
    printTable(
      'hostile messages by attacker and kind',
      [...byKind].sort().map(([kind, n]) => ({ kind, n })),
    );
    printTable(
      'outcome (stale, or the MlsLayerError code)',
      [...outcomes].sort().map(([outcome, n]) => ({ outcome, n })),
    );
  });

  it('garbage changes nothing, throws only MlsLayerError, and honest members still converge', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(injection, { minLength: 40, maxLength: 80 }),
        fc.array(injection, { minLength: 10, maxLength: 30 }),
        async (before, during) => {
          const room = new Room();
          await room.found();
          await room.join();
          await room.join();
          await room.chatter();
          const snaps = await Promise.all(room.members.map(snapshot));

          // 1. A settled room of three: no garbage may change any member's group state.
          for (const i of before) await inject(room, i);
          expect(await Promise.all(room.members.map(snapshot))).toEqual(snaps);
          await converged(room);

          // 2. A newcomer joins with garbage before and after its commit; then all converge.
          const half = Math.floor(during.length / 2);
          for (const i of during.slice(0, half)) await inject(room, i);
          await room.join();
          for (const i of during.slice(half)) await inject(room, i);
          expect(room.members).toHaveLength(4);
          await converged(room);
        },
      ),
      { seed, numRuns: fuzzScale(30), endOnFailure: process.env.FUZZ_SHRINK !== '1' },
    );
  }, 600_000);
});
