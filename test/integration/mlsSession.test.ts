/**
 * The client's MlsSession (web/call/MlsSession.ts) against a real SFU over real sockets, with a
 * real SFrameContext standing in for the frame worker: members join by external commit, share one
 * epoch and room code and decrypt each other's frames (bound to the sender's peer id); a leave
 * makes the others commit a Remove, after which the departed member cannot decrypt new frames; a
 * newcomer cannot decrypt frames sent before its join; chat arrives with its MLS-proven sender; a
 * member whose commit was withheld catches up from the server's commit log, or resyncs by itself
 * when the log cannot be read; a silent member is removed by liveness; each member's media state
 * (microphone, camera, screen on or off) reaches the others end to end, a newcomer at once.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SFrameContext } from '../../shared/sframe/index.js';
import type { NotificationName, NotificationOf } from '../../shared/protocol/index.js';
import type { Sfu } from '../../sfu/Sfu.js';
import { MlsSession, type MlsChatMessage, type MlsSinks } from '../../web/call/MlsSession.js';
import type { MediaFlags } from '../../web/call/mediaAnnouncement.js';
import { joinRoom, startSfu, TestClient, until } from './harness/sfu.js';

let sfu: Sfu;
const people: Person[] = [];
const ROOM = 'mls-session';
const secret = randomBytes(32);

beforeEach(async () => {
  sfu = await startSfu();
});

afterEach(async () => {
  for (const p of people.splice(0)) p.close();
  await sfu.close();
});

/** A client: socket, session and its frame context (the worker's SFrameContext, in order). */
class Person {
  readonly ctx = new SFrameContext({ ratchetWindow: 0 });
  readonly chat: MlsChatMessage[] = [];
  session!: MlsSession;
  peerId = '';
  /** Drops the next matching notification (a withholding relay). */
  withhold: ((name: NotificationName) => boolean) | null = null;
  /** Requests answered UNAVAILABLE without reaching the server. */
  readonly unavailable = new Set<string>();
  readonly warnings: string[] = [];
  /** What this member announces (none when null), and what it heard from each peer. */
  localMedia: MediaFlags | null = null;
  readonly heardMedia = new Map<string, MediaFlags>();
  /** Every mlsMessage notification received, to replay one. */
  readonly messages: NotificationOf<'mlsMessage'>[] = [];
  private ops: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly client: TestClient,
  ) {}

  /** Waits for every key operation handed to the frame context so far. */
  settled(): Promise<unknown> {
    return this.ops;
  }

  private op(f: () => Promise<unknown> | void): void {
    this.ops = this.ops.then(f).catch(() => undefined);
  }

  sinks(): MlsSinks {
    return {
      request: async (name, req) => {
        if (this.unavailable.has(name))
          throw Object.assign(new Error('unavailable'), { code: 'UNAVAILABLE' });
        const res = await this.client.request(name, req);
        if (res.ok) return res.data;
        throw Object.assign(new Error(res.error.message), { code: res.error.code });
      },
      setSenderKey: (kid, key) => {
        const k = new Uint8Array(key);
        this.op(() => this.ctx.setSenderKey(kid, k));
      },
      addReceiverKey: (peerId, kid, key) => {
        const k = new Uint8Array(key);
        this.op(() => this.ctx.addReceiverKey(kid, k, peerId));
      },
      removeReceiverKey: (kid, peerId) =>
        this.op(() => this.ctx.removeReceiverKey(kid, peerId ?? undefined)),
      localMedia: () => this.localMedia,
    };
  }

  listen(): void {
    const on = <K extends NotificationName>(name: K, f: (m: NotificationOf<K>) => Promise<void>) =>
      (this.client.socket.on as (n: string, h: (m: unknown) => void) => void)(name, (m) => {
        if (this.withhold?.(name)) {
          this.withhold = null;
          return;
        }
        f(m as NotificationOf<K>).catch(() => undefined);
      });
    on('mlsCommit', (m) => this.session.commit(m));
    on('mlsMessage', (m) => {
      this.messages.push(m);
      return this.session.message(m);
    });
    on('mlsEpochReady', (m) => this.session.epochReady(m));
    on('peerLeft', (m) => this.session.peerLeft(m.peerId));
  }

  async encrypt(): Promise<Uint8Array> {
    await this.settled();
    return this.ctx.encrypt(new TextEncoder().encode(`frame of ${this.name}`));
  }

  /** The peer id whose key opened `frame`, or null. */
  async opens(frame: Uint8Array): Promise<string | null> {
    await this.settled();
    try {
      return (await this.ctx.decrypt(frame)).owner;
    } catch {
      return null;
    }
  }

  /** Decrypts `frame` as the client's frame worker would, and reports it as a sign of life. */
  async hears(frame: Uint8Array): Promise<void> {
    await this.settled();
    const { kid } = await this.ctx.decrypt(frame);
    this.session.framesSeen(kid, Date.now());
  }

  close(): void {
    this.session.close();
    this.client.close();
  }
}

async function person(
  name: string,
  options: { livenessMs?: number; heartbeatMs?: number; roomSecret?: Uint8Array } = {},
): Promise<Person> {
  const client = await TestClient.connect(sfu);
  const p = new Person(name, client);
  people.push(p);
  p.peerId = (await joinRoom(sfu, client, ROOM)).peerId;
  p.session = new MlsSession(
    {
      roomId: ROOM,
      selfPeerId: p.peerId,
      roomSecret: secret,
      identity: randomBytes(32),
      displayName: name,
      ...options,
    },
    p.sinks(),
  );
  p.session.on('chat', (m) => p.chat.push(m));
  p.session.on('warning', (code) => p.warnings.push(code));
  p.session.on('media', (peerId, flags) => p.heardMedia.set(peerId, flags));
  p.listen();
  await p.session.start();
  return p;
}

/** Everyone in `group` on the server's epoch, with `group.length` members and sending on it. */
async function quiet(group: readonly Person[]): Promise<bigint> {
  let epoch = -1n;
  await until(
    () => {
      const epochs = new Set(group.map((p) => p.session.epoch));
      const senders = new Set(group.map((p) => p.session.senderEpoch));
      epoch = group[0]!.session.epoch ?? -1n;
      return (
        epochs.size === 1 &&
        senders.size === 1 &&
        senders.has(epoch) &&
        group.every((p) => p.session.members.length === group.length)
      );
    },
    20_000,
    'the group to become quiet',
  );
  await Promise.all(group.map((p) => p.settled()));
  return epoch;
}

describe('MlsSession over a real SFU', () => {
  it('joins, agrees on one code, binds frames to senders, removes a leaver and keeps newcomers out of the past', async () => {
    const a = await person('alice');
    const b = await person('bob');
    const c = await person('carol');
    const e3 = await quiet([a, b, c]);
    expect(e3).toBe(2n);
    const codes = new Set([a, b, c].map((p) => p.session.roomCode()!.full));
    expect(codes.size).toBe(1);
    expect([...codes][0]).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
    const names = a.session.members.map((m) => m.displayName).sort();
    expect(names).toEqual(['alice', 'bob', 'carol']);
    // One fingerprint per person, the same in every member's view.
    const fpOf = (viewer: Person, of: Person) =>
      viewer.session.members.find((m) => m.peerId === of.peerId)!.fingerprint.full;
    expect(fpOf(a, c)).toBe(fpOf(b, c));
    expect(fpOf(a, c)).not.toBe(fpOf(a, b));

    const fromA = await a.encrypt();
    expect(await b.opens(fromA)).toBe(a.peerId);
    expect(await c.opens(fromA)).toBe(a.peerId);
    expect(await a.opens(await c.encrypt())).toBe(c.peerId);

    // Chat: an MLS application message with its sender proven by MLS.
    await a.session.sendChat('hello');
    await until(() => b.chat.length === 1 && c.chat.length === 1, 10_000, 'chat');
    expect(b.chat[0]).toMatchObject({ from: a.peerId, text: 'hello' });

    // carol leaves: the server's peerLeft makes alice and bob commit her Remove.
    const carolCtx = c;
    c.client.close();
    c.session.close();
    people.splice(people.indexOf(c), 1);
    const e4 = await quiet([a, b]);
    expect(e4).toBe(e3 + 1n);
    const after = await a.encrypt();
    expect(await b.opens(after)).toBe(a.peerId);
    expect(await carolCtx.opens(after)).toBeNull();

    // dave joins: he opens frames sent after his join, never the ones before it.
    const d = await person('dave');
    await quiet([a, b, d]);
    expect(await d.opens(fromA)).toBeNull();
    expect(await d.opens(after)).toBeNull();
    expect(await d.opens(await b.encrypt())).toBe(b.peerId);
    const code = a.session.roomCode()!.full;
    expect(d.session.roomCode()!.full).toBe(code);
    carolCtx.ctx.close();
  });

  for (const logReadable of [true, false])
    it(`a member whose commit the relay withheld ${logReadable ? 'catches up from the commit log' : 'resyncs when the log cannot be read'}`, async () => {
      const a = await person('alice');
      const b = await person('bob');
      await quiet([a, b]);
      if (!logReadable) b.unavailable.add('mlsCommitsSince');
      b.withhold = (name) => name === 'mlsCommit';
      const c = await person('carol'); // bob never hears carol's external commit
      await until(() => a.session.epoch === 2n, 10_000, 'alice to process the join');
      expect(b.withhold).toBeNull(); // the commit was dropped on its way to bob
      // Any message of epoch 2 (carol's first heartbeat, alice's chat) shows bob he is behind:
      // he fetches what he missed, or resyncs.
      await a.session.sendChat('are you there?');
      const epoch = await quiet([a, b, c]);
      if (logReadable) {
        // nobody else had anything to do: no new epoch, no warning
        expect(epoch).toBe(2n);
        expect(b.warnings).toEqual([]);
      } else {
        expect(epoch).toBeGreaterThan(2n);
        expect(b.warnings).toContain('RESYNC');
      }
      expect(new Set([a, b, c].map((p) => p.session.roomCode()!.full)).size).toBe(1);
      expect(await b.opens(await c.encrypt())).toBe(c.peerId);
    });

  it('a link with another secret cannot join: LINK_MISMATCH, and the group is unchanged', async () => {
    const a = await person('alice');
    const before = await quiet([a]);
    const err = await person('mallory', { roomSecret: randomBytes(32) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'MlsSessionError', code: 'LINK_MISMATCH' });
    expect(a.session.epoch).toBe(before);
    expect(a.session.members).toHaveLength(1);
  });

  it('removes a member that stops answering while the server says nothing', async () => {
    const a = await person('alice', { livenessMs: 1500, heartbeatMs: 300 });
    const b = await person('bob', { livenessMs: 1500, heartbeatMs: 300 });
    const c = await person('carol', { livenessMs: 1500, heartbeatMs: 300 });
    await quiet([a, b, c]);
    c.session.close(); // frozen: still connected, sends nothing
    const epoch = await quiet([a, b]);
    expect(epoch).toBe(3n);
    expect(sfu.registry.rooms.get(ROOM)?.peers.size).toBe(3); // the server never said a word
  });

  it('keeps a member whose media decrypts after its heartbeats stop, and removes it once the media stops too', async () => {
    const a = await person('alice', { livenessMs: 1500, heartbeatMs: 300 });
    const b = await person('bob', { livenessMs: 1500, heartbeatMs: 300 });
    // carol's heartbeats stop after the joins (a member behind by a commit sends them stale)
    const c = await person('carol', { livenessMs: 1500, heartbeatMs: 60_000 });
    const epoch = await quiet([a, b, c]);
    const end = Date.now() + 4500; // three liveness timeouts
    while (Date.now() < end) {
      const frame = await c.encrypt();
      await Promise.all([a.hears(frame), b.hears(frame)]);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(a.session.epoch).toBe(epoch);
    expect(b.session.members).toHaveLength(3);
    c.session.close(); // frozen: no frames, no heartbeats, no rejoin
    expect(await quiet([a, b])).toBe(epoch + 1n);
  });

  it("announces each member's media state end to end: a newcomer hears it at once, a change follows, a replay changes nothing", async () => {
    // heartbeats far apart: what arrives below does not wait for one
    const a = await person('alice', { heartbeatMs: 60_000 });
    a.localMedia = { microphone: true, camera: true, screen: false };
    const b = await person('bob', { heartbeatMs: 60_000 });
    await quiet([a, b]);
    await until(() => b.heardMedia.has(a.peerId), 5000, "bob to hear alice's media state");
    expect(b.heardMedia.get(a.peerId)).toEqual({ microphone: true, camera: true, screen: false });
    expect(a.heardMedia.has(b.peerId)).toBe(false); // bob's client announces nothing

    const first = b.messages.length;
    a.localMedia = { microphone: false, camera: true, screen: false };
    await a.session.announceMedia();
    await until(() => b.heardMedia.get(a.peerId)?.microphone === false, 5000, 'the change');
    // the relay replays the earlier announcement ("microphone on"): it does not win
    const earlier = b.messages[first - 1]!;
    await b.session.message(earlier);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.heardMedia.get(a.peerId)).toEqual({ microphone: false, camera: true, screen: false });
  });
});
