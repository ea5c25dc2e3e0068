// Seeded simulations of the MLS layer over an in-memory relay and the real sequencer: random
// joins, leaves, silent drops (liveness), bursts, lost, duplicated and reordered deliveries. After
// each quiet point: one epoch and one room code for everyone, everyone decrypts everyone, former
// members fail on later frames, newcomers fail on earlier frames.
import { describe, expect, it } from 'vitest';
import { MlsWorld, opens, RELIABLE, type SimMember } from './sim/MlsWorld.js';

async function checkQuietPoint(w: MlsWorld, senderSample?: number): Promise<void> {
  const live = [...w.members.values()];
  const gi = await w.seq.groupInfo(w.roomId);
  const epochs = new Set(live.map((m) => m.member!.epoch));
  expect([...epochs]).toEqual([gi!.epoch]);
  const codes = new Set(live.map((m) => m.member!.roomCode().full));
  expect(codes.size).toBe(1);
  // the MLS roster is exactly the connected members
  const names = live.map((m) => m.name).sort();
  for (const m of live) {
    const roster = m.member!.members().map((x) => new TextDecoder().decode(x.identity));
    expect(roster.sort()).toEqual(names);
  }
  const senders = senderSample === undefined ? live : sample(w, live, senderSample);
  const frames = await w.sendFrames(senders);
  for (const f of frames)
    for (const m of live)
      if (m.name !== f.sender)
        expect(await opens(m, f.frame), `${m.name} opens ${f.sender}`).toBe(true);
  for (const f of frames)
    for (const gone of w.former)
      expect(await opens(gone, f.frame), `former ${gone.name}`).toBe(false);
  for (const m of live) {
    const joinedAt = Math.min(...m.presentAt);
    for (const old of w.frames)
      if (old.quiet < joinedAt) expect(await opens(m, old.frame), `newcomer ${m.name}`).toBe(false);
  }
}

function sample(w: MlsWorld, xs: readonly SimMember[], n: number): SimMember[] {
  const pool = [...xs];
  const out: SimMember[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(w.rng.int(pool.length), 1)[0]!);
  return out;
}

function first(set: ReadonlySet<number>): number {
  return Math.min(...set);
}

describe('MLS simulation (seeded)', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: random joins, leaves, drops and bursts over a lossy relay`, async () => {
      const w = new MlsWorld(seed);
      let next = 0;
      const name = () => `m${seed}-${next++}`;
      await w.create(name());
      for (let i = 0; i < 3; i++) await w.join(name());
      await w.quiesce();
      await checkQuietPoint(w);
      for (let stepNo = 0; stepNo < 10; stepNo++) {
        // Lossy steps: lagging members catch up from the commit log, or (noLog) must resync.
        w.net =
          w.rng.next() < 0.5
            ? RELIABLE
            : { drop: 0.15, duplicate: 0.2, reorder: true, noLog: w.rng.next() < 0.5 };
        const n = w.members.size;
        const pick = (): SimMember => w.rng.pick([...w.members.values()]);
        const action = w.rng.int(4);
        if (action === 0 || n <= 2) {
          await w.join(name());
        } else if (action === 1) {
          w.leave(pick().name);
        } else if (action === 2) {
          w.freeze(pick().name);
        } else {
          // burst: two leave together and one joins at the same moment
          const a = pick();
          w.leave(a.name);
          if (w.members.size > 2) w.leave(pick().name);
          await w.join(name());
        }
        await w.quiesce();
        await checkQuietPoint(w);
      }
      expect(w.quietPoints).toBe(11);
      expect(w.former.length).toBeGreaterThan(0);
      recovered.push({ seed, catchUps: w.catchUps, resyncs: w.resyncs });
    });
  }

  // Across the seeds both ways of recovering a missed commit ran.
  const recovered: { seed: number; catchUps: number; resyncs: number }[] = [];
  it('the seeds exercised both catch-up from the log and resync', () => {
    console.log('recovered', JSON.stringify(recovered));
    expect(recovered).toHaveLength(4);
    expect(recovered.reduce((n, r) => n + r.catchUps, 0)).toBeGreaterThan(0);
    expect(recovered.reduce((n, r) => n + r.resyncs, 0)).toBeGreaterThan(0);
  });

  it('coalesces a burst of leaves into one commit', async () => {
    const w = new MlsWorld(7);
    await w.create('a');
    for (const n of ['b', 'c', 'd', 'e', 'f']) await w.join(n);
    await w.quiesce();
    const before = (await w.seq.groupInfo(w.roomId))!.epoch;
    w.leave('c');
    w.leave('e');
    w.leave('f');
    await w.quiesce();
    expect((await w.seq.groupInfo(w.roomId))!.epoch).toBe(before + 1n);
    await checkQuietPoint(w);
  });

  it('a silent member is removed by the liveness timeout', async () => {
    const w = new MlsWorld(8);
    await w.create('a');
    for (const n of ['b', 'c']) await w.join(n);
    await w.quiesce();
    w.freeze('b');
    const t0 = w.now;
    await w.quiesce();
    expect(w.now - t0).toBeGreaterThan(10_000);
    expect([...w.members.keys()].sort()).toEqual(['a', 'c']);
    await checkQuietPoint(w);
  });

  // 50 members by default (~10 s of CPU); MLS_SIM_MEMBERS=100 runs the 100-member room (~25 s of
  // CPU, minutes of wall time when the shared machine is loaded). Bigger rooms are in bench/mls.ts.
  const n = Number(process.env.MLS_SIM_MEMBERS ?? 50);
  it(`${n} members: bulk Welcome, then two leaves and a join in one commit`, async () => {
    const w = new MlsWorld(100);
    await w.create('p0');
    await w.bulkAdd(Array.from({ length: n - 1 }, (_, i) => `p${i + 1}`));
    await w.quiesce();
    expect(w.members.size).toBe(n);
    await checkQuietPoint(w, 4);
    const e0 = (await w.seq.groupInfo(w.roomId))!.epoch;
    const d0 = w.deliveries;
    w.leave('p17');
    w.leave(`p${n - 7}`);
    await w.requestJoin(`p${n}`);
    await w.quiesce();
    expect((await w.seq.groupInfo(w.roomId))!.epoch).toBe(e0 + 1n);
    // KeyPackage to the n - 2 members, the commit to the n - 3 others, the Welcome to the newcomer
    expect(w.deliveries - d0).toBe(n - 2 + (n - 3) + 1);
    expect(w.members.size).toBe(n - 1);
    await checkQuietPoint(w, 4);
    expect(first(w.members.get(`p${n}`)!.presentAt)).toBe(w.quietPoints);

    // Then random churn at this size over a relay that loses, duplicates and reorders. A member
    // that misses a commit catches up from the server's commit log, which costs nobody else
    // anything. (Before the log, it resynced by an external commit that all n had to process and
    // that each of them could miss in turn: with n·drop > 1 that is a chain reaction, and at 100
    // members and 2 % loss the room never became quiet.)
    w.net = { drop: 0.02, duplicate: 0.2, reorder: true };
    let next = n + 1;
    for (let stepNo = 0; stepNo < 3; stepNo++) {
      const pick = (): string => w.rng.pick([...w.members.keys()]);
      const action = w.rng.int(3);
      if (action === 0) {
        w.leave(pick());
        await w.join(`p${next++}`);
      } else if (action === 1) {
        w.freeze(pick());
      } else {
        w.leave(pick());
        w.leave(pick());
      }
      await w.quiesce();
      await checkQuietPoint(w, 4);
    }
    expect(w.quietPoints).toBe(5);
    console.log(`${n} members, churn: ${w.catchUps} catch-ups, ${w.resyncs} resyncs`);
    expect(w.catchUps).toBeGreaterThan(0);
    expect(w.resyncs).toBe(0);
  }, 600_000);
});
