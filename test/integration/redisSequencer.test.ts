// RedisSequencer against a real Redis (Debian's redis-server, started here on a free loopback
// port): the Sequencer contract, then what only a shared store must show: two nodes racing for one
// epoch, a Redis that goes away, and the room state's expiry.
import { randomBytes } from '@noble/hashes/utils.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSequencer } from '../../sfu/mls/RedisSequencer.js';
import { deriveEnvelopeKeys, sealEnvelope } from '../../shared/mls/index.js';
import { sequencerContract } from '../contracts/sequencer.js';
import { startRedis, type TestRedis } from './harness/redis.js';

let redis: TestRedis;
const open: RedisSequencer[] = [];
let run = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await redis?.stop();
});

async function node(options: ConstructorParameters<typeof RedisSequencer>[1] = {}) {
  const s = new RedisSequencer(redis.url, { maxEnvelopeBytes: 64 * 1024, ...options });
  await s.connect();
  open.push(s);
  return s;
}

// Each contract test gets its own key prefix: the same Redis, no shared rooms.
sequencerContract('RedisSequencer', () => node({ keyPrefix: `contract${run++}:` }));

const keys = deriveEnvelopeKeys(randomBytes(32), 'room');
const gi = (epoch: bigint) => sealEnvelope(keys, { kind: 'groupInfo', epoch }, randomBytes(40));
const commit = (epoch: bigint) => sealEnvelope(keys, { kind: 'commit', epoch }, randomBytes(40));

describe('RedisSequencer across nodes', () => {
  it('lets exactly one of several nodes win each epoch, and all agree on the winner', async () => {
    const prefix = 'race:';
    const nodes = await Promise.all([1, 2, 3].map(() => node({ keyPrefix: prefix })));
    expect(
      (await nodes[0]!.createGroup('r', { roomPublicKey: keys.publicKey, groupInfo: gi(0n) })).ok,
    ).toBe(true);
    for (let epoch = 0n; epoch < 30n; epoch++) {
      const offers = nodes.map(() => ({
        baseEpoch: epoch,
        commit: commit(epoch),
        groupInfo: gi(epoch + 1n),
      }));
      const results = await Promise.all(nodes.map((n, i) => n.submitCommit('r', offers[i]!)));
      const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
      expect(winners, `epoch ${epoch}`).toHaveLength(1);
      for (const r of results)
        if (!r.ok) expect(r).toMatchObject({ code: 'STALE_EPOCH', epoch: epoch + 1n });
      // Every node serves the winner's GroupInfo.
      for (const n of nodes)
        expect((await n.groupInfo('r'))!.groupInfo).toEqual(offers[winners[0]!]!.groupInfo);
    }
    expect((await nodes[2]!.groupInfo('r'))!.epoch).toBe(30n);
  });

  it('refuses a commit signed for a room that was deleted and re-created with another key', async () => {
    const s = await node({ keyPrefix: 'recreate:' });
    await s.createGroup('r', { roomPublicKey: keys.publicKey, groupInfo: gi(0n) });
    await s.deleteRoom('r');
    const other = deriveEnvelopeKeys(randomBytes(32), 'room');
    await s.createGroup('r', {
      roomPublicKey: other.publicKey,
      groupInfo: sealEnvelope(other, { kind: 'groupInfo', epoch: 0n }, randomBytes(40)),
    });
    expect(
      await s.submitCommit('r', { baseEpoch: 0n, commit: commit(0n), groupInfo: gi(1n) }),
    ).toMatchObject({
      ok: false,
      code: 'BAD_ENVELOPE',
    });
  });

  it('expires a room nobody writes to, and refreshes the expiry on every write', async () => {
    const s = await node({ keyPrefix: 'ttl:', roomTtlMs: 60_000 });
    await s.createGroup('r', { roomPublicKey: keys.publicKey, groupInfo: gi(0n) });
    const raw = new Redis(redis.url);
    try {
      const first = await raw.pttl('ttl:mls:{r}');
      expect(first).toBeGreaterThan(50_000);
      expect(first).toBeLessThanOrEqual(60_000);
      await raw.pexpire('ttl:mls:{r}', 5_000);
      await s.submitCommit('r', { baseEpoch: 0n, commit: commit(0n), groupInfo: gi(1n) });
      expect(await raw.pttl('ttl:mls:{r}')).toBeGreaterThan(50_000);
    } finally {
      raw.disconnect();
    }
  });

  it('answers UNAVAILABLE, not a hang or a crash, when Redis is gone, and works again after', async () => {
    const own = await startRedis();
    const s = new RedisSequencer(own.url, { keyPrefix: 'down:', commandTimeoutMs: 1000 });
    await s.connect();
    try {
      await s.createGroup('r', { roomPublicKey: keys.publicKey, groupInfo: gi(0n) });
      await own.stop(true);
      const offer = { baseEpoch: 0n, commit: commit(0n), groupInfo: gi(1n) };
      expect(await s.submitCommit('r', offer)).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
      expect(await s.publishGroupInfo('r', 0n, gi(0n))).toMatchObject({
        ok: false,
        code: 'UNAVAILABLE',
      });
      expect(await s.verify('r', commit(0n))).toBe(false);
      await expect(s.groupInfo('r')).rejects.toThrow();
    } finally {
      await s.close();
    }
  });
});
