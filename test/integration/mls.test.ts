/**
 * MLS signalling against a real SFU and real sockets: group creation, external joins through the
 * server's sealed GroupInfo, the sequencer's first-commit-wins order with STALE_EPOCH for the
 * rest, fan-out of commits, Welcomes and application messages, the all-ready signal, and refusal
 * of garbled, ghost-made and oversized envelopes with stable codes (each leaving the room's group
 * as it was). The members are real ts-mls GroupMembers (shared/mls); the server sees envelopes only.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deriveEnvelopeKeys,
  GroupMember,
  sealEnvelope,
  WelcomeJoiner,
  type MemberConfig,
  type SealedCommit,
} from '../../shared/mls/index.js';
import { MLS_ENVELOPE_MAX_BYTES, type Ack } from '../../shared/protocol/index.js';
import type { Sfu } from '../../sfu/Sfu.js';
import { joinRoom, startSfu, TestClient, until } from './harness/sfu.js';

let sfu: Sfu;
const clients: TestClient[] = [];

beforeEach(async () => {
  sfu = await startSfu();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sfu.close();
});

const ROOM = 'mls-room';
const secret = randomBytes(32);

function cfg(name: string, roomSecret = secret): MemberConfig {
  return { roomId: ROOM, roomSecret, identity: new TextEncoder().encode(name) };
}

async function joined(): Promise<TestClient> {
  const c = await TestClient.connect(sfu);
  clients.push(c);
  await joinRoom(sfu, c, ROOM);
  return c;
}

function commitRequest(c: SealedCommit) {
  return {
    baseEpoch: Number(c.baseEpoch),
    commit: c.commit,
    groupInfo: c.groupInfo,
    welcome: c.welcome,
  };
}

/** The first member: creates the group on the server. */
async function founder(name = 'alice'): Promise<{ client: TestClient; member: GroupMember }> {
  const client = await joined();
  const member = await GroupMember.create(cfg(name), randomBytes(16));
  const res = await client.ok('mlsCreateGroup', {
    roomPublicKey: deriveEnvelopeKeys(secret, ROOM).publicKey,
    groupInfo: await member.groupInfo(),
  });
  expect(res.epoch).toBe(0);
  return { client, member };
}

/** A newcomer by external commit from the server's GroupInfo. */
async function externalJoin(
  name: string,
): Promise<{ client: TestClient; member: GroupMember; commit: SealedCommit }> {
  const client = await joined();
  const gi = await client.ok('mlsGroupInfo', {});
  const { member, commit } = await GroupMember.joinExternal(cfg(name), gi.groupInfo!);
  return { client, member, commit };
}

function code(res: Ack<unknown>): string {
  return res.ok ? 'ok' : res.error.code;
}

async function serverEpoch(client: TestClient): Promise<number | null> {
  return (await client.ok('mlsGroupInfo', {})).epoch;
}

describe('MLS group over signalling', () => {
  it('has no group until the first member makes one; a second make is GROUP_EXISTS', async () => {
    const a = await joined();
    expect(await a.ok('mlsGroupInfo', {})).toEqual({ epoch: null, groupInfo: null });
    const commitBefore = await GroupMember.create(cfg('x'), randomBytes(16));
    const c = await commitBefore.commit({});
    expect(code(await a.request('mlsCommit', commitRequest(c)))).toBe('NO_GROUP');

    const { client: b, member } = await founder();
    expect(await serverEpoch(b)).toBe(0);
    const again = await b.request('mlsCreateGroup', {
      roomPublicKey: deriveEnvelopeKeys(secret, ROOM).publicKey,
      groupInfo: await member.groupInfo(),
    });
    expect(code(again)).toBe('GROUP_EXISTS');
  });

  it('joins by external commit: the winner is fanned out and both share one epoch and code', async () => {
    const a = await founder('alice');
    const b = await externalJoin('bob');
    const res = await b.client.ok('mlsCommit', commitRequest(b.commit));
    expect(res.epoch).toBe(1);
    b.member.confirm();
    const note = await a.client.next('mlsCommit');
    expect(note.epoch).toBe(1);
    expect(await a.member.process(note.commit)).toEqual({ kind: 'advanced', epoch: 1n });
    expect(a.member.roomCode()).toEqual(b.member.roomCode());
    expect(b.client.received.some((r) => r.name === 'mlsCommit')).toBe(false); // not echoed
    // The server keeps the GroupInfo of the new epoch for the next joiner.
    const gi = await b.client.ok('mlsGroupInfo', {});
    expect(gi.epoch).toBe(1);
    expect(Buffer.from(gi.groupInfo!).equals(Buffer.from(b.commit.groupInfo))).toBe(true);
  });

  it('takes the first commit of an epoch and refuses the second with STALE_EPOCH', async () => {
    const a = await founder('alice');
    const b = await externalJoin('bob');
    const c = await externalJoin('carol');
    expect(b.commit.baseEpoch).toBe(c.commit.baseEpoch);
    await b.client.ok('mlsCommit', commitRequest(b.commit));
    const refused = await c.client.request('mlsCommit', commitRequest(c.commit));
    expect(code(refused)).toBe('STALE_EPOCH');
    expect(await serverEpoch(c.client)).toBe(1);
    // Only the winner reached the room; carol retries from the new GroupInfo and wins epoch 2.
    await a.client.next('mlsCommit', (m) => m.epoch === 1);
    const retry = await GroupMember.joinExternal(
      cfg('carol'),
      (await c.client.ok('mlsGroupInfo', {})).groupInfo!,
    );
    expect((await c.client.ok('mlsCommit', commitRequest(retry.commit))).epoch).toBe(2);
    expect(a.client.received.filter((r) => r.name === 'mlsCommit')).toHaveLength(1);
  });

  it('refuses a commit for an epoch the room has not reached with FUTURE_EPOCH', async () => {
    const a = await founder('alice');
    const b = await externalJoin('bob');
    await b.client.ok('mlsCommit', commitRequest(b.commit));
    b.member.confirm();
    const ahead = await b.member.commit({}); // epoch 1 -> 2, accepted below
    await b.client.ok('mlsCommit', commitRequest(ahead));
    b.member.confirm();
    // alice, still at epoch 0, is not refused as future; a commit based on epoch 5 is.
    const forged = await GroupMember.create(cfg('mallory'), randomBytes(16));
    for (let i = 0; i < 5; i++) {
      await forged.commit({});
      forged.confirm();
    }
    const c = await forged.commit({});
    expect(code(await a.client.request('mlsCommit', commitRequest(c)))).toBe('FUTURE_EPOCH');
    expect(await serverEpoch(a.client)).toBe(2);
  });

  it('refuses garbled, relabelled, ghost-made and oversized envelopes, changing nothing', async () => {
    const a = await founder('alice');
    const b = await externalJoin('bob');
    const good = commitRequest(b.commit);
    const before = await b.client.ok('mlsGroupInfo', {});
    const ghostKeys = deriveEnvelopeKeys(randomBytes(32), ROOM);
    const flipped = new Uint8Array(good.commit);
    flipped[flipped.length - 10] = flipped[flipped.length - 10]! ^ 1;
    const relabelled = new Uint8Array(good.commit);
    relabelled[1] = 3; // clear kind byte: "welcome"
    const ghostGroup = await GroupMember.create(cfg('ghost', randomBytes(32)), randomBytes(16));
    const ghostCommit = await ghostGroup.commit({});
    const cases: [string, Record<string, unknown>, string][] = [
      ['random bytes', { ...good, commit: randomBytes(300) }, 'BAD_ENVELOPE'],
      ['a flipped signature bit', { ...good, commit: flipped }, 'BAD_ENVELOPE'],
      ['a relabelled kind', { ...good, commit: relabelled }, 'BAD_ENVELOPE'],
      ['a GroupInfo for the wrong epoch', { ...good, groupInfo: before.groupInfo }, 'BAD_ENVELOPE'],
      ['a ghost commit (no link)', commitRequest(ghostCommit), 'BAD_ENVELOPE'],
      [
        'a ghost-sealed welcome',
        {
          ...good,
          welcome: sealEnvelope(ghostKeys, { kind: 'welcome', epoch: 1n }, randomBytes(40)),
        },
        'BAD_ENVELOPE',
      ],
      ['a commit as welcome', { ...good, welcome: good.commit }, 'BAD_ENVELOPE'],
      [
        'an oversized commit',
        { ...good, commit: new Uint8Array(MLS_ENVELOPE_MAX_BYTES + 1) },
        'TOO_LARGE',
      ],
      ['a string epoch', { ...good, baseEpoch: '0' }, 'BAD_REQUEST'],
      ['a negative epoch', { ...good, baseEpoch: -1 }, 'BAD_REQUEST'],
      ['a missing GroupInfo', { ...good, groupInfo: undefined }, 'BAD_REQUEST'],
      ['an extra field', { ...good, extra: 1 }, 'BAD_REQUEST'],
    ];
    for (const [what, req, expected] of cases) {
      expect(code(await b.client.raw('mlsCommit', req)), what).toBe(expected);
    }
    const after = await b.client.ok('mlsGroupInfo', {});
    expect(after.epoch).toBe(0);
    expect(Buffer.from(after.groupInfo!).equals(Buffer.from(before.groupInfo!))).toBe(true);
    expect(a.client.received.filter((r) => r.name.startsWith('mls'))).toEqual([]);
    // The honest commit still goes through afterwards.
    expect((await b.client.ok('mlsCommit', good)).epoch).toBe(1);

    expect(
      code(
        await b.client.raw('mlsCreateGroup', {
          roomPublicKey: randomBytes(31),
          groupInfo: good.groupInfo,
        }),
      ),
    ).toBe('BAD_REQUEST');
    expect(
      code(await b.client.raw('mlsPublishGroupInfo', { epoch: 1, groupInfo: randomBytes(200) })),
    ).toBe('BAD_ENVELOPE');
    expect(
      code(await b.client.raw('mlsPublishGroupInfo', { epoch: 0, groupInfo: before.groupInfo })),
    ).toBe('STALE_EPOCH');
  });

  it('refuses MLS requests before join with NOT_JOINED', async () => {
    const c = await TestClient.connect(sfu);
    clients.push(c);
    expect(code(await c.request('mlsGroupInfo', {}))).toBe('NOT_JOINED');
    expect(code(await c.request('mlsReady', { epoch: 0 }))).toBe('NOT_JOINED');
  });

  it('fans out application messages and KeyPackages, and refuses commits, Welcomes and ghosts there', async () => {
    const a = await founder('alice');
    const b = await externalJoin('bob');
    await b.client.ok('mlsCommit', commitRequest(b.commit));
    b.member.confirm();
    await a.member.process((await a.client.next('mlsCommit')).commit);

    const text = new TextEncoder().encode('hello bob');
    await a.client.ok('mlsSend', { envelope: await a.member.application(text) });
    const got = await b.client.next('mlsMessage');
    expect(got.envelope.length).toBeGreaterThan(text.length);
    const opened = await b.member.process(got.envelope);
    expect(opened).toMatchObject({ kind: 'application', leafIndex: a.member.leafIndex });
    expect(new TextDecoder().decode((opened as { data: Uint8Array }).data)).toBe('hello bob');

    const joiner = await WelcomeJoiner.create(cfg('dave'));
    await b.client.ok('mlsSend', { envelope: joiner.keyPackage });
    const relayed = (await a.client.next('mlsMessage')).envelope;
    expect(Buffer.from(relayed).equals(Buffer.from(joiner.keyPackage))).toBe(true);

    const ghost = sealEnvelope(
      deriveEnvelopeKeys(randomBytes(32), ROOM),
      { kind: 'application', epoch: 1n },
      text,
    );
    expect(code(await a.client.request('mlsSend', { envelope: ghost }))).toBe('BAD_ENVELOPE');
    const commit = await a.member.commit({});
    expect(code(await a.client.request('mlsSend', { envelope: commit.commit }))).toBe(
      'BAD_ENVELOPE',
    );
    expect(code(await a.client.request('mlsSend', { envelope: randomBytes(90) }))).toBe(
      'BAD_ENVELOPE',
    );
    a.member.discard();
    await new Promise((r) => setTimeout(r, 100));
    expect(b.client.received.filter((r) => r.name === 'mlsMessage')).toEqual([]);
  });

  it('delivers the Welcome with the commit that adds a KeyPackage', async () => {
    const a = await founder('alice');
    const d = await joined();
    const joiner = await WelcomeJoiner.create(cfg('dave'));
    await d.ok('mlsSend', { envelope: joiner.keyPackage });
    const kp = (await a.client.next('mlsMessage')).envelope;
    const c = await a.member.commit({ add: [kp] });
    expect(c.welcome).not.toBeNull();
    await a.client.ok('mlsCommit', commitRequest(c));
    a.member.confirm();
    const note = await d.next('mlsCommit');
    expect(note.welcome).not.toBeNull();
    const dave = await joiner.join(note.welcome!);
    expect(dave.epoch).toBe(1n);
    expect(dave.roomCode()).toEqual(a.member.roomCode());
  });

  it('announces mlsEpochReady once every reporting peer is on the epoch, or the laggard left', async () => {
    const a = await founder('alice');
    const b = await externalJoin('bob');
    const c = await externalJoin('carol');
    // bob and carol fetched the GroupInfo, so they count (not ready) before their first report.
    await a.client.ok('mlsReady', { epoch: 0 });
    await b.client.ok('mlsCommit', commitRequest(b.commit));
    await a.client.ok('mlsReady', { epoch: 1 });
    await c.client.ok('mlsReady', { epoch: 0 }); // carol lags (not yet processed)
    await b.client.ok('mlsReady', { epoch: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(a.client.received.some((r) => r.name === 'mlsEpochReady')).toBe(false);
    await c.client.ok('mlsReady', { epoch: 1 });
    for (const x of [a.client, b.client, c.client])
      await x.next('mlsEpochReady', (m) => m.epoch === 1);

    // Epoch 2: carol never reports, then leaves; the others hear "ready" when she is gone.
    const next = await GroupMember.joinExternal(
      cfg('erin'),
      (await a.client.ok('mlsGroupInfo', {})).groupInfo!,
    );
    await a.client.ok('mlsCommit', commitRequest(next.commit));
    await a.client.ok('mlsReady', { epoch: 2 });
    await b.client.ok('mlsReady', { epoch: 2 });
    await new Promise((r) => setTimeout(r, 100));
    expect(a.client.received.some((r) => r.name === 'mlsEpochReady')).toBe(false);
    await c.client.ok('leave', {});
    await a.client.next('mlsEpochReady', (m) => m.epoch === 2);
  });

  it('forgets the group when the room closes', async () => {
    const a = await founder('alice');
    a.client.close();
    await until(() => !sfu.registry.rooms.has(ROOM), 5000, 'room to close');
    const b = await joined();
    expect(await b.ok('mlsGroupInfo', {})).toEqual({ epoch: null, groupInfo: null });
  });
});
