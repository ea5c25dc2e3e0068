// GroupMember's own contract, with real ts-mls members: application messages name their sender,
// and a commit the sequencer refused leaves the member able to process the winner.
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { GroupMember, MlsLayerError } from '../../../shared/mls/index.js';

const secret = randomBytes(32);
const cfg = (name: string) => ({
  roomId: 'room',
  roomSecret: secret,
  identity: new TextEncoder().encode(name),
});

async function pair(): Promise<[GroupMember, GroupMember]> {
  const a = await GroupMember.create(cfg('a'), randomBytes(16));
  const j = await GroupMember.joinExternal(cfg('b'), await a.groupInfo());
  j.member.confirm();
  expect(await a.process(j.commit.commit)).toEqual({ kind: 'advanced', epoch: 1n });
  return [a, j.member];
}

describe('GroupMember', () => {
  it('signs application messages with the sender leaf, and commits still verify after them', async () => {
    const [a, b] = await pair();
    const out = await b.process(await a.application(new TextEncoder().encode('hi')));
    expect(out).toMatchObject({ kind: 'application', leafIndex: a.leafIndex });
    const c = await a.commit({});
    a.confirm();
    expect(await b.process(c.commit)).toEqual({ kind: 'advanced', epoch: 2n });
  });

  it('a discarded commit leaves the state intact: the winner of the epoch still processes', async () => {
    const [a, b] = await pair();
    const winner = await a.commit({});
    await b.commit({}); // refused by the sequencer
    b.discard();
    a.confirm();
    expect(await b.process(winner.commit)).toEqual({ kind: 'advanced', epoch: 2n });
    expect(b.roomCode()).toEqual(a.roomCode());
  });

  it('resync after a missed commit that removed us joins afresh (ts-mls would loop forever)', async () => {
    // Without the guard in externalCommit, ts-mls 1.6.4's removeLeafNode(-1) never returns here and
    // the event loop freezes (run this file under `timeout` to see it: no test result ever comes).
    const [a, b] = await pair();
    const j = await GroupMember.joinExternal(cfg('c'), await a.groupInfo());
    j.member.confirm();
    const c = j.member;
    await a.process(j.commit.commit);
    await b.process(j.commit.commit);
    const removal = await a.commit({ remove: [b.leafIndex] }); // b misses this one
    a.confirm();
    expect(await c.process(removal.commit)).toMatchObject({ kind: 'advanced' });
    expect(b.epoch).toBe(2n);

    const rejoin = await b.resync(removal.groupInfo);
    b.confirm();
    for (const m of [a, c])
      expect(await m.process(rejoin.commit)).toMatchObject({ kind: 'advanced' });
    expect(b.active).toBe(true);
    expect(b.epoch).toBe(a.epoch);
    expect(b.roomCode()).toEqual(a.roomCode());
    expect(a.members()).toHaveLength(3);
  });

  it('resync while still a member replaces our own leaf: the group does not grow', async () => {
    const [a, b] = await pair();
    const missed = await a.commit({});
    a.confirm();
    const again = await b.resync(missed.groupInfo);
    b.confirm();
    expect(await a.process(again.commit)).toMatchObject({ kind: 'advanced' });
    expect(a.members()).toHaveLength(2);
    expect(b.roomCode()).toEqual(a.roomCode());
  });

  it('takes the identity seed as the MLS signature key, and refuses a wrong-length seed', async () => {
    const seed = randomBytes(32);
    const m = await GroupMember.create({ ...cfg('s'), signatureSeed: seed }, randomBytes(16));
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    expect(m.members()[0]!.signaturePublicKey).toEqual(ed25519.getPublicKey(seed));
    await expect(
      GroupMember.create({ ...cfg('s'), signatureSeed: randomBytes(31) }, randomBytes(16)),
    ).rejects.toBeInstanceOf(MlsLayerError);
  });
});
