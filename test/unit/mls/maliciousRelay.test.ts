// A malicious relay against the MLS layer: ghosts without the link, replays, relabelled and stale
// commits, a split world, withheld commits (and a forged or replayed commit log), and replays
// aimed at reviving an erased epoch.
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { EpochKeys, GroupMember, MlsLayerError } from '../../../shared/mls/index.js';
import { SFrameContext } from '../../../shared/sframe/index.js';
import { MlsWorld, opens } from './sim/MlsWorld.js';

async function code(e: Promise<unknown>): Promise<string> {
  try {
    await e;
    return 'none';
  } catch (err) {
    return err instanceof MlsLayerError ? err.code : `other: ${String(err)}`;
  }
}

async function threeMembers(seed: number): Promise<MlsWorld> {
  const w = new MlsWorld(seed);
  await w.create('a');
  await w.join('b');
  await w.join('c');
  await w.quiesce();
  return w;
}

describe('malicious relay', () => {
  it('a ghost without the link can neither open the GroupInfo, nor commit, nor inject', async () => {
    const w = await threeMembers(11);
    const gi = (await w.seq.groupInfo(w.roomId))!;
    const ghostCfg = {
      roomId: w.roomId,
      roomSecret: randomBytes(32),
      identity: new Uint8Array([1]),
    };
    expect(await code(GroupMember.joinExternal(ghostCfg, gi.groupInfo))).toBe(
      'ENVELOPE_AUTH_FAILED',
    );
    // its own group, sealed under its own guess of the secret
    const ghost = await GroupMember.create(ghostCfg, randomBytes(16));
    const c = await ghost.commit({});
    const forged = { ...c, baseEpoch: gi.epoch };
    const res = await w.seq.submitCommit(w.roomId, forged);
    expect(res.ok).toBe(false);
    expect(!res.ok && res.code).toBe('BAD_ENVELOPE');
    // injected straight to a member: refused, nothing changes
    const a = w.members.get('a')!;
    const before = a.member!.roomCode().full;
    expect(await code(a.member!.process(c.commit))).toBe('ENVELOPE_AUTH_FAILED');
    expect(a.member!.roomCode().full).toBe(before);
    expect((await w.seq.groupInfo(w.roomId))!.epoch).toBe(gi.epoch);
  });

  it('replayed and stale commits change nothing', async () => {
    const w = await threeMembers(12);
    await w.join('d');
    w.leave('b');
    await w.quiesce();
    const codes = new Map([...w.members].map(([n, m]) => [n, m.member!.roomCode().full]));
    const epoch = (await w.seq.groupInfo(w.roomId))!.epoch;
    // the sequencer refuses every recorded commit again
    for (const commit of w.acceptedCommits) {
      const gi = (await w.seq.groupInfo(w.roomId))!.groupInfo;
      const res = await w.seq.submitCommit(w.roomId, {
        baseEpoch: epoch - 1n,
        commit,
        groupInfo: gi,
      });
      expect(res.ok).toBe(false);
    }
    // and members given them directly see them as stale
    for (const m of w.members.values())
      for (const commit of w.acceptedCommits) {
        const out = await m.member!.process(commit).catch((e: unknown) => e);
        expect(out instanceof MlsLayerError ? out.code : (out as { kind: string }).kind).toMatch(
          /^(stale|MLS_REJECTED)$/,
        );
      }
    for (const [n, m] of w.members) expect(m.member!.roomCode().full).toBe(codes.get(n));
    expect((await w.seq.groupInfo(w.roomId))!.epoch).toBe(epoch);
  });

  it('a relabelled envelope (epoch changed in the clear header) is refused by server and members', async () => {
    const w = await threeMembers(13);
    const a = w.members.get('a')!;
    const c = await a.member!.commit({});
    a.member!.discard();
    const relabelled = new Uint8Array(c.commit);
    relabelled[9] = relabelled[9]! ^ 1;
    const res = await w.seq.submitCommit(w.roomId, {
      ...c,
      baseEpoch: c.baseEpoch ^ 1n,
      commit: relabelled,
    });
    expect(res.ok).toBe(false);
    expect(await code(w.members.get('b')!.member!.process(relabelled))).toBe(
      'ENVELOPE_AUTH_FAILED',
    );
  });

  it('a split world (two groups under one link) shows differing codes, even with a member in both', async () => {
    const w = await threeMembers(14);
    const gi = (await w.seq.groupInfo(w.roomId))!;
    // The server forks the call: two newcomers' external commits for the same epoch both go out,
    // each to a different part of the room.
    // x joins world 1, y joins "world 2" from the same epoch's GroupInfo
    const x = await GroupMember.joinExternal(w.cfg('x'), gi.groupInfo);
    const y = await GroupMember.joinExternal(w.cfg('y'), gi.groupInfo);
    x.member.confirm();
    y.member.confirm();
    expect(x.member.epoch).toBe(y.member.epoch);
    expect(x.member.roomCode().full).not.toBe(y.member.roomCode().full);
    // a colluding member c processes both commits (it keeps both states); still two codes
    const c = w.members.get('c')!.member!;
    const viaX = await c.process(x.commit.commit);
    expect(viaX.kind).toBe('advanced');
    expect(c.roomCode().full).toBe(x.member.roomCode().full);
    expect(c.roomCode().full).not.toBe(y.member.roomCode().full);
    // and the honest a, fed y's commit, agrees with y and not with x
    const a = w.members.get('a')!.member!;
    await a.process(y.commit.commit);
    expect(a.roomCode().full).toBe(y.member.roomCode().full);
    expect(a.roomCode().full).not.toBe(x.member.roomCode().full);
  });

  const recoveries = [
    { how: "catches up from the server's commit log", log: 'honest' },
    { how: 'resyncs when the log cannot be read', log: 'none' },
    { how: 'resyncs when the server forges the log', log: 'forged' },
    { how: 'resyncs when the server replays old commits as the log', log: 'replayed' },
  ] as const;
  for (const { how, log } of recoveries)
    it(`a member whose commit was withheld ${how}, then everyone agrees`, async () => {
      const w = await threeMembers(15);
      const early = [...w.acceptedCommits];
      w.withhold = (to) => to === 'c';
      w.leave('b');
      await w.join('d');
      await w.deliverAll();
      w.withhold = null;
      const c = w.members.get('c')!;
      const behind = c.member!.epoch;
      // before recovering c is behind: its code cannot match the others (the UI says "cannot verify")
      expect(behind).toBeLessThan((await w.seq.groupInfo(w.roomId))!.epoch);
      expect(c.member!.roomCode().full).not.toBe(w.members.get('a')!.member!.roomCode().full);
      if (log === 'none') w.net = { ...w.net, noLog: true };
      if (log === 'forged')
        w.tamperLog = (commits) =>
          commits.map((x) => {
            const y = new Uint8Array(x);
            y[y.length - 100]! ^= 1; // inside the sealed body
            return y;
          });
      if (log === 'replayed') w.tamperLog = () => early;
      await w.quiesce();
      if (log === 'honest') {
        expect([w.catchUps, w.resyncs]).toEqual([1, 0]);
      } else {
        expect(w.catchUps).toBe(0);
        expect(w.resyncs).toBeGreaterThanOrEqual(1);
      }
      const codes = new Set([...w.members.values()].map((m) => m.member!.roomCode().full));
      expect(codes.size).toBe(1);
      const [f] = await w.sendFrames([c]);
      for (const m of w.members.values()) if (m !== c) expect(await opens(m, f!.frame)).toBe(true);
    });

  it('replaying old commits never makes an erased epoch decrypt again', async () => {
    const w = await threeMembers(16);
    const a = w.members.get('a')!;
    const b = w.members.get('b')!;
    const oldEpoch = a.member!.epoch;
    const oldBase = await a.member!.sframeBaseKey();
    const [old] = await w.sendFrames([a]);
    expect(await opens(b, old!.frame)).toBe(true);
    await w.join('d');
    await w.quiesce();
    w.now += 6000; // past the previous epoch's grace
    await w.quiesce();
    expect(b.keys.installedEpochs()).not.toContain(oldEpoch);
    expect(await opens(b, old!.frame)).toBe(false);
    // the relay replays every commit it recorded: nothing moves back
    for (const commit of w.acceptedCommits) w.inject('b', commit);
    await w.deliverAll();
    expect(b.member!.epoch).toBeGreaterThan(oldEpoch);
    expect(await opens(b, old!.frame)).toBe(false);
    // and even handed the real old base key, EpochKeys refuses to reinstall the epoch
    const leaves = b.member!.members().map((m) => m.leafIndex);
    expect(await code(b.keys.install(oldEpoch, oldBase, leaves, b.leaf, w.now))).toBe(
      'EPOCH_ERASED',
    );
    expect(await opens(b, old!.frame)).toBe(false);
  });

  it('EpochKeys alone: an epoch at or below the newest is refused, erased keys stay erased', async () => {
    const ctx = new SFrameContext({ ratchetWindow: 0 });
    const keys = new EpochKeys(ctx, { switchTimeoutMs: 1000, graceMs: 5000 });
    const k1 = randomBytes(16);
    await keys.install(1n, k1, [0, 1], 0, 0);
    await keys.install(2n, randomBytes(16), [0, 1], 0, 100);
    expect(keys.installedEpochs()).toEqual([2n, 1n]);
    await keys.tick(5200);
    expect(keys.installedEpochs()).toEqual([2n]);
    expect(await code(keys.install(1n, k1, [0, 1], 0, 6000))).toBe('EPOCH_ERASED');
    expect(await code(keys.install(2n, k1, [0, 1], 0, 6000))).toBe('EPOCH_ERASED');
    expect(keys.installedEpochs()).toEqual([2n]);
  });
});
