// Contract tests of the Sequencer: every implementation must pass them. Run on InMemorySequencer
// by test/unit/mls/sequencer.contract.test.ts and on RedisSequencer, against a real Redis, by
// test/integration/redisSequencer.test.ts.
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { COMMIT_LOG_LENGTH, type Sequencer } from '../../sfu/mls/Sequencer.js';
import { deriveEnvelopeKeys, sealEnvelope } from '../../shared/mls/index.js';

const keys = deriveEnvelopeKeys(randomBytes(32), 'room');
const ghost = deriveEnvelopeKeys(randomBytes(32), 'room');
const body = () => randomBytes(40);
const gi = (epoch: bigint, k = keys) => sealEnvelope(k, { kind: 'groupInfo', epoch }, body());
const commit = (epoch: bigint, k = keys) => sealEnvelope(k, { kind: 'commit', epoch }, body());

/**
 * `make` gives a fresh, empty sequencer with a 64 KiB envelope limit (each test uses its own room
 * names only through it, so an implementation backed by a shared store must isolate them, e.g.
 * with a key prefix per call).
 */
export function sequencerContract(name: string, make: () => Sequencer | Promise<Sequencer>): void {
  describe(`Sequencer contract: ${name}`, () => {
    async function withGroup(): Promise<Sequencer> {
      const s = await make();
      expect(
        (await s.createGroup('room', { roomPublicKey: keys.publicKey, groupInfo: gi(0n) })).ok,
      ).toBe(true);
      return s;
    }

    it('creates a group once; a second creator gets GROUP_EXISTS', async () => {
      const s = await withGroup();
      const again = await s.createGroup('room', {
        roomPublicKey: ghost.publicKey,
        groupInfo: gi(0n, ghost),
      });
      expect(again).toMatchObject({ ok: false, code: 'GROUP_EXISTS', epoch: 0n });
      expect(await s.groupInfo('other')).toBeNull();
    });

    it('accepts the first commit per epoch and refuses later ones with STALE_EPOCH', async () => {
      const s = await withGroup();
      const first = { baseEpoch: 0n, commit: commit(0n), groupInfo: gi(1n) };
      const second = { baseEpoch: 0n, commit: commit(0n), groupInfo: gi(1n) };
      const [r1, r2] = await Promise.all([
        s.submitCommit('room', first),
        s.submitCommit('room', second),
      ]);
      expect(r1).toEqual({ ok: true, epoch: 1n });
      expect(r2).toMatchObject({ ok: false, code: 'STALE_EPOCH', epoch: 1n });
      expect(await s.submitCommit('room', first)).toMatchObject({ ok: false, code: 'STALE_EPOCH' });
      const latest = await s.groupInfo('room');
      expect(latest!.epoch).toBe(1n);
      expect(latest!.groupInfo).toEqual(first.groupInfo);
    });

    it('refuses a commit for a future epoch, without a group, or with mismatched envelopes', async () => {
      const s = await withGroup();
      expect(
        await s.submitCommit('room', { baseEpoch: 2n, commit: commit(2n), groupInfo: gi(3n) }),
      ).toMatchObject({ ok: false, code: 'FUTURE_EPOCH', epoch: 0n });
      expect(
        await s.submitCommit('none', { baseEpoch: 0n, commit: commit(0n), groupInfo: gi(1n) }),
      ).toMatchObject({ ok: false, code: 'NO_GROUP', epoch: null });
      // clear epoch differs from the claimed base epoch
      expect(
        await s.submitCommit('room', { baseEpoch: 0n, commit: commit(1n), groupInfo: gi(1n) }),
      ).toMatchObject({ ok: false, code: 'BAD_ENVELOPE' });
      // GroupInfo for the wrong epoch, wrong kinds
      expect(
        await s.submitCommit('room', { baseEpoch: 0n, commit: commit(0n), groupInfo: gi(0n) }),
      ).toMatchObject({ ok: false, code: 'BAD_ENVELOPE' });
      expect(
        await s.submitCommit('room', { baseEpoch: 0n, commit: gi(0n), groupInfo: gi(1n) }),
      ).toMatchObject({ ok: false, code: 'BAD_ENVELOPE' });
      expect(
        await s.submitCommit('room', {
          baseEpoch: 0n,
          commit: new Uint8Array(5),
          groupInfo: gi(1n),
        }),
      ).toMatchObject({ ok: false, code: 'BAD_ENVELOPE' });
      expect((await s.groupInfo('room'))!.epoch).toBe(0n);
    });

    it('refuses envelopes not signed with the room key (a ghost without the link)', async () => {
      const s = await withGroup();
      const r = await s.submitCommit('room', {
        baseEpoch: 0n,
        commit: commit(0n, ghost),
        groupInfo: gi(1n, ghost),
      });
      expect(r).toMatchObject({ ok: false, code: 'BAD_ENVELOPE' });
      expect(await s.verify('room', commit(0n, ghost))).toBe(false);
      expect(await s.verify('room', commit(0n))).toBe(true);
      expect((await s.groupInfo('room'))!.epoch).toBe(0n);
    });

    it('refuses oversized envelopes with TOO_LARGE', async () => {
      const s = await withGroup();
      const big = sealEnvelope(keys, { kind: 'commit', epoch: 0n }, new Uint8Array(70 * 1024));
      expect(
        await s.submitCommit('room', { baseEpoch: 0n, commit: big, groupInfo: gi(1n) }),
      ).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    });

    it('publishes a fresher GroupInfo only for the current epoch', async () => {
      const s = await withGroup();
      const fresh = gi(0n);
      expect(await s.publishGroupInfo('room', 0n, fresh)).toEqual({ ok: true, epoch: 0n });
      expect((await s.groupInfo('room'))!.groupInfo).toEqual(fresh);
      expect(await s.publishGroupInfo('room', 1n, gi(1n))).toMatchObject({
        ok: false,
        code: 'FUTURE_EPOCH',
      });
      await s.submitCommit('room', { baseEpoch: 0n, commit: commit(0n), groupInfo: gi(1n) });
      expect(await s.publishGroupInfo('room', 0n, gi(0n))).toMatchObject({
        ok: false,
        code: 'STALE_EPOCH',
      });
    });

    it('keeps the last accepted commits, in order, for members catching up', async () => {
      expect(await (await make()).commitsSince('room', 0n)).toBeNull();
      const s = await withGroup();
      expect(await s.commitsSince('room', 0n)).toEqual({ epoch: 0n, commits: [] });
      const accepted: Uint8Array[] = [];
      for (let e = 0n; e < BigInt(COMMIT_LOG_LENGTH + 3); e++) {
        const c = commit(e);
        // a refused commit for the same epoch is not logged
        await s.submitCommit('room', { baseEpoch: e, commit: c, groupInfo: gi(e + 1n) });
        await s.submitCommit('room', { baseEpoch: e, commit: commit(e), groupInfo: gi(e + 1n) });
        accepted.push(c);
      }
      const now = BigInt(accepted.length);
      expect(await s.commitsSince('room', now)).toEqual({ epoch: now, commits: [] });
      expect(await s.commitsSince('room', now + 5n)).toEqual({ epoch: now, commits: [] });
      expect(await s.commitsSince('room', now - 1n)).toEqual({
        epoch: now,
        commits: accepted.slice(-1),
      });
      const oldest = now - BigInt(COMMIT_LOG_LENGTH);
      expect(await s.commitsSince('room', oldest)).toEqual({
        epoch: now,
        commits: accepted.slice(-COMMIT_LOG_LENGTH),
      });
      // further back than the log reaches: nothing (the member resyncs instead)
      expect(await s.commitsSince('room', oldest - 1n)).toEqual({ epoch: now, commits: [] });
      await s.deleteRoom('room');
      expect(await s.commitsSince('room', 0n)).toBeNull();
      // a new group under the same room id starts with an empty log
      await s.createGroup('room', { roomPublicKey: keys.publicKey, groupInfo: gi(0n) });
      await s.submitCommit('room', { baseEpoch: 0n, commit: accepted[0]!, groupInfo: gi(1n) });
      expect(await s.commitsSince('room', 0n)).toEqual({ epoch: 1n, commits: [accepted[0]] });
    });

    it('deletes rooms idempotently', async () => {
      const s = await withGroup();
      await s.deleteRoom('room');
      await s.deleteRoom('room');
      expect(await s.groupInfo('room')).toBeNull();
    });
  });
}
