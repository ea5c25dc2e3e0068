// Folding the frame worker's per-transform counters into per-sender E2EE status.
import { describe, expect, it } from 'vitest';
import { CallModel } from '../../../web/call/CallModel.js';
import type { RemoteFeed } from '../../../web/call/Subscriber.js';
import type { TransformStats } from '../../../web/e2ee/messages.js';

function feed(peerId: string, source: 'camera' | 'microphone', transformId: string): RemoteFeed {
  return {
    consumerId: `c-${transformId}`,
    producerId: `p-${transformId}`,
    peerId,
    source,
    kind: source === 'camera' ? 'video' : 'audio',
    track: {} as MediaStreamTrack,
    transformId,
    producerPaused: false,
    pausedChangedAt: 0,
    hidden: false,
    spatialLayer: null,
  };
}

function stats(transformId: string, over: Partial<TransformStats>): TransformStats {
  return {
    transformId,
    role: 'recv',
    media: 'video',
    peerId: null,
    kid: null,
    frames: 0,
    dropped: {},
    lastFrameAt: null,
    kidSince: null,
    ...over,
  };
}

describe('CallModel.applyStats', () => {
  it('sums frames and failures per sender, shows the newest KID, and ignores our own CLOSED drops', () => {
    const model = new CallModel();
    const feeds = [
      feed('alice', 'camera', 'r1'),
      feed('alice', 'microphone', 'r2'),
      feed('bob', 'camera', 'r3'),
    ];
    const byId = new Map(feeds.map((f) => [f.transformId, f]));
    for (const f of feeds) model.setFeed(f, true);
    model.applyStats(
      [
        stats('r1', {
          kid: 16,
          frames: 100,
          dropped: { UNKNOWN_KID: 3 },
          lastFrameAt: 1000,
          kidSince: 950,
        }),
        stats('r2', {
          media: 'audio',
          kid: 17,
          frames: 50,
          dropped: { CLOSED: 9 },
          lastFrameAt: 1010,
          kidSince: 1005,
        }),
        stats('r3', {
          kid: 32,
          frames: 7,
          dropped: { AUTH_FAILED: 1, REPLAY: 2 },
          lastFrameAt: 900,
        }),
        stats('s1', {
          role: 'send',
          kid: 48,
          frames: 300,
          dropped: { NO_SENDER_KEY: 4 },
          lastFrameAt: 1020,
        }),
        stats('gone', { frames: 999 }),
      ],
      (id) => byId.get(id),
    );
    expect(model.participants.get('alice')?.e2ee).toEqual({
      kid: 17,
      frames: 150,
      failures: 3,
      byReason: { UNKNOWN_KID: 3 },
      lastFrameAt: 1010,
      // the first frame under the KID shown (17), not the older KID's
      kidSince: 1005,
    });
    expect(model.participants.get('bob')?.e2ee).toMatchObject({ kid: 32, frames: 7, failures: 3 });
    expect(model.local.e2ee).toMatchObject({ kid: 48, frames: 300, failures: 4 });
  });

  it("dates a sender's KID from its first frame on any track", () => {
    const model = new CallModel();
    const feeds = [feed('alice', 'camera', 'r1'), feed('alice', 'microphone', 'r2')];
    const byId = new Map(feeds.map((f) => [f.transformId, f]));
    for (const f of feeds) model.setFeed(f, true);
    model.applyStats(
      [
        stats('r1', { kid: 33, frames: 10, lastFrameAt: 2000, kidSince: 1700 }),
        stats('r2', { media: 'audio', kid: 33, frames: 40, lastFrameAt: 2010, kidSince: 1650 }),
        stats('s1', { role: 'send', kid: 48, frames: 5, lastFrameAt: 2005, kidSince: 1990 }),
      ],
      (id) => byId.get(id),
    );
    expect(model.participants.get('alice')?.e2ee).toMatchObject({ kid: 33, kidSince: 1650 });
    expect(model.local.e2ee).toMatchObject({ kid: 48, kidSince: 1990 });
  });

  it('takes roster names for participants and forgets them when they leave the roster', () => {
    const model = new CallModel();
    model.participant('alice');
    const entry = {
      peerId: 'alice',
      displayName: 'Alice',
      identityKey: new Uint8Array(32),
      verified: false,
      self: false,
      fingerprint: 'AAAAA-BBBBB-CCCCC-DDDDD',
    };
    const self = { ...entry, peerId: 'me', self: true };
    model.applyRoster([self, entry]);
    expect(model.participants.get('alice')?.roster?.displayName).toBe('Alice');
    expect(model.participants.has('me')).toBe(false);
    model.applyRoster([self]);
    expect(model.participants.get('alice')?.roster).toBeNull();
  });

  it('never brings back a participant the server said left, whatever the MLS roster still says', () => {
    // Seen in a CI soak: a visitor joined while a dropped page's old peer was leaving; the visitor's
    // first MLS roster still listed that peer (its Remove commit came later), re-created it after
    // its peerLeft, and the visitor showed a member with no roster entry and no frames for good.
    const model = new CallModel();
    model.participant('gone');
    model.removeParticipant('gone');
    const entry = {
      peerId: 'gone',
      displayName: 'Gone',
      identityKey: new Uint8Array(32),
      verified: false,
      self: false,
      fingerprint: 'AAAAA-BBBBB-CCCCC-DDDDD',
    };
    model.applyRoster([entry]);
    model.setFeed(feed('gone', 'camera', 't1'), true);
    model.applyRoster([]);
    expect([...model.participants.keys()]).toEqual([]);
  });

  it('coalesces many changes into one change event', async () => {
    const model = new CallModel();
    let events = 0;
    model.on('change', () => events++);
    model.participant('a');
    model.participant('b');
    model.setPhase('in-call');
    await Promise.resolve();
    expect(events).toBe(1);
  });
});
