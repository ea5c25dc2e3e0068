// Randomised (seeded) simulations over the in-memory relay: joins, leaves, rekeys, drops, duplicates
// and reordering. After every quiet point: every current member decrypts every other, all rosters
// and security codes agree, newcomers cannot read frames from before their join, and members who
// left cannot read frames sent after it.
import { describe, expect, it } from 'vitest';
import { sameCode } from '../../../shared/e2ee/index.js';
import { allDecryptAll, tryDecrypt, World, type NetPolicy } from './sim/World.js';

interface ChaosConfig {
  seed: number;
  initial: number;
  maxMembers: number;
  rounds: number;
  opsPerRound: number;
  policy: NetPolicy;
}

async function checkQuietPoint(
  w: World,
  preRoundFrames: Map<string, Uint8Array>,
  before: Set<string>,
  leftThisRound: string[],
): Promise<void> {
  const ids = [...w.members.keys()].sort();
  expect(await allDecryptAll(w)).toEqual([]);
  let code = null;
  for (const m of w.members.values()) {
    expect(m.rosterIds()).toEqual(ids);
    const c = m.agent.securityCode();
    if (code !== null) expect(sameCode(code, c)).toBe(true);
    code = c;
  }
  // Newcomers fail on frames from before their join.
  for (const m of w.members.values()) {
    if (before.has(m.id)) continue;
    for (const [sender, frame] of preRoundFrames) {
      if (sender === m.id) continue;
      expect(await tryDecrypt(m.ctx, frame), `${m.id} read ${sender}'s pre-join frame`).not.toMatch(
        /^ok/,
      );
    }
  }
  // Leavers (of this round and every earlier one) fail on frames sent after the switch.
  const now = await w.frames();
  expect(leftThisRound.every((id) => w.departed.has(id))).toBe(true);
  for (const [id, gone] of w.departed) {
    for (const [sender, frame] of now) {
      expect(await tryDecrypt(gone.ctx, frame), `${id} (left) read ${sender}'s frame`).not.toMatch(
        /^ok/,
      );
    }
  }
}

async function chaos(cfg: ChaosConfig): Promise<World> {
  const w = new World(cfg.seed);
  for (let i = 0; i < cfg.initial; i++) await w.join();
  await w.settle();
  for (let round = 0; round < cfg.rounds; round++) {
    const before = new Set(w.members.keys());
    const preRound = await w.frames();
    const left: string[] = [];
    w.policy = cfg.policy;
    for (let op = 0; op < cfg.opsPerRound; op++) {
      const r = w.rng.next();
      if (r < 0.12 && w.members.size < cfg.maxMembers) {
        await w.join();
      } else if (r < 0.22 && w.members.size > 2) {
        const id = w.rng.pick([...w.members.keys()]);
        await w.leave(id);
        left.push(id);
      } else if (r < 0.25) {
        const m = w.rng.pick([...w.members.values()]);
        await m.apply(await m.agent.rekey(), w);
      } else if (r < 0.4) {
        await w.tickAll(w.rng.int(400));
      } else {
        for (let k = w.rng.int(8); k > 0; k--) await w.deliverOne();
      }
    }
    await w.settle();
    await checkQuietPoint(w, preRound, before, left);
  }
  return w;
}

describe('simulation: random joins, leaves, rekeys over a lossy, duplicating, reordering relay', () => {
  const lossy: NetPolicy = { drop: 0.1, duplicate: 0.1, reorder: true };
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`converges (seed ${seed}, up to 12 members)`, async () => {
      const w = await chaos({
        seed,
        initial: 3,
        maxMembers: 12,
        rounds: 5,
        opsPerRound: 40,
        policy: lossy,
      });
      expect(w.members.size).toBeGreaterThanOrEqual(2);
    }, 60_000);
  }

  it('converges with heavy loss (30 % drop, 20 % duplicates)', async () => {
    await chaos({
      seed: 77,
      initial: 4,
      maxMembers: 8,
      rounds: 4,
      opsPerRound: 40,
      policy: { drop: 0.3, duplicate: 0.2, reorder: true },
    });
  }, 60_000);

  it('converges when many join and leave at once (concurrent membership changes)', async () => {
    const w = new World(99);
    for (let i = 0; i < 6; i++) await w.join();
    await w.settle();
    const before = new Set(w.members.keys());
    const preRound = await w.frames();
    w.policy = { drop: 0.05, duplicate: 0.05, reorder: true };
    const left = [...w.members.keys()].slice(0, 3);
    for (const id of left) await w.leave(id);
    for (let i = 0; i < 4; i++) await w.join();
    await w.settle();
    await checkQuietPoint(w, preRound, before, left);
  }, 60_000);

  it('100 members: batches of concurrent joins, then concurrent leaves and joins', async () => {
    const w = new World(100);
    w.policy = { drop: 0.02, duplicate: 0.02, reorder: true };
    for (let batch = 0; batch < 4; batch++) {
      for (let i = 0; i < 25; i++) await w.join();
      for (let k = 0; k < 5000; k++) await w.deliverOne();
      await w.settle();
    }
    expect(w.members.size).toBe(100);
    expect(await allDecryptAll(w)).toEqual([]);
    const before = new Set(w.members.keys());
    const preRound = await w.frames();
    const left = [...w.members.keys()].filter((_, i) => i % 20 === 3);
    for (const id of left) await w.leave(id);
    for (let i = 0; i < 5; i++) await w.join();
    await w.settle();
    await checkQuietPoint(w, preRound, before, left);
    expect(w.members.size).toBe(100);
  }, 600_000);
});
