// The key-agent glue: two sessions wired through an in-memory relay exchange keys, and each
// session's effects reach the frame-worker sink (sender key, the other's receiver key), the roster
// and the chat, in order. Nothing reaches the sinks after close().
import { afterEach, describe, expect, it } from 'vitest';
import { E2eeSession, type ChatMessage, type E2eeSinks } from '../../../web/call/E2eeSession.js';
import type { RosterEntry } from '../../../shared/e2ee/index.js';

const ROOM_SECRET = new Uint8Array(32).fill(3);

interface Recorded {
  senderKids: number[];
  receiverKeys: { peerId: string; kid: number }[];
  removed: { peerId: string | null; kid: number }[];
  roster: readonly RosterEntry[];
  chat: ChatMessage[];
}

function pair(): { a: E2eeSession; b: E2eeSession; rec: Record<'a' | 'b', Recorded> } {
  const rec = {
    a: { senderKids: [], receiverKeys: [], removed: [], roster: [], chat: [] } as Recorded,
    b: { senderKids: [], receiverKeys: [], removed: [], roster: [], chat: [] } as Recorded,
  };
  const sessions: Record<string, E2eeSession> = {};
  const sinks = (self: 'a' | 'b'): E2eeSinks => ({
    relay: async (to, payload) => {
      const other = self === 'a' ? 'b' : 'a';
      if (to !== null && to !== other) return;
      // Deliver asynchronously, as the server would, with a copy of the bytes.
      await Promise.resolve();
      // Before the other side has started, its agent refuses input; the sender retries.
      sessions[other]!.relay(self, payload.slice()).catch(() => undefined);
    },
    setSenderKey: (kid, key) => {
      expect(key).toBeInstanceOf(Uint8Array);
      rec[self].senderKids.push(kid);
    },
    addReceiverKey: (peerId, kid) => rec[self].receiverKeys.push({ peerId, kid }),
    removeReceiverKey: (kid, peerId) => rec[self].removed.push({ peerId, kid }),
  });
  const make = (self: 'a' | 'b', name: string): E2eeSession => {
    const s = new E2eeSession(
      {
        roomId: 'room1',
        selfPeerId: self,
        roomSecret: ROOM_SECRET,
        identity: new Uint8Array(32).fill(self === 'a' ? 1 : 2),
        displayName: name,
      },
      sinks(self),
    );
    s.on('roster', (r) => (rec[self].roster = r));
    s.on('chat', (m) => rec[self].chat.push(m));
    sessions[self] = s;
    return s;
  };
  return { a: make('a', 'Alice'), b: make('b', 'Bob'), rec };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const open: E2eeSession[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

describe('E2eeSession', () => {
  it('exchanges keys: each side gets the other’s current sender key as a receiver key', async () => {
    const { a, b, rec } = pair();
    open.push(a, b);
    await a.start();
    await b.start();
    await a.peerJoined('b');
    await b.peerJoined('a');
    await until(() => rec.a.roster.length === 2 && rec.b.roster.length === 2);
    await until(
      () =>
        rec.b.receiverKeys.some((k) => k.peerId === 'a' && k.kid === a.currentKid) &&
        rec.a.receiverKeys.some((k) => k.peerId === 'b' && k.kid === b.currentKid),
    );
    expect(rec.a.senderKids.at(-1)).toBe(a.currentKid);
    expect(rec.b.roster.find((e) => !e.self)?.displayName).toBe('Alice');
    expect(a.pairwiseCode('b')).toEqual(b.pairwiseCode('a'));
  });

  it('delivers chat over the encrypted channel', async () => {
    const { a, b, rec } = pair();
    open.push(a, b);
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.peerJoined('b'), b.peerJoined('a')]);
    await until(() => rec.a.roster.length === 2 && rec.b.roster.length === 2);
    await a.sendChat('hi Bob');
    await until(() => rec.b.chat.length === 1);
    expect(rec.b.chat[0]).toMatchObject({ from: 'a', text: 'hi Bob' });
  });

  it('rotates the sender key after a peer leaves, and forgets the peer’s keys', async () => {
    const { a, b, rec } = pair();
    open.push(a, b);
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.peerJoined('b'), b.peerJoined('a')]);
    await until(() => rec.a.receiverKeys.some((k) => k.peerId === 'b'));
    const before = a.currentKid;
    await b.close();
    await a.peerLeft('b');
    await until(() => a.currentKid !== before, 5000);
    expect(rec.a.senderKids.at(-1)).toBe(a.currentKid);
    expect(rec.a.removed.some((r) => r.peerId === 'b')).toBe(true);
  });

  it('applies nothing after close()', async () => {
    const { a, rec } = pair();
    await a.start();
    const kids = rec.a.senderKids.length;
    await a.close();
    await a.rekey().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(rec.a.senderKids.length).toBe(kids);
    expect(a.currentKid).toBeNull();
  });
});
