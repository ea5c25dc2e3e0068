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
