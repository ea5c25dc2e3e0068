// Mute and camera state on whose word: the sender's end-to-end announcement decides; the
// server's pause or closed consumer counts only before it, labelled as the server's; a source the
// sender says is on and the server does not forward is "withheld" after a grace. Announcements
// arrive newest-only: an old one replayed or late never wins.
import { describe, expect, it } from 'vitest';
import { CallModel, type Participant } from '../../../web/call/CallModel.js';
import { MediaAnnouncements } from '../../../web/call/mediaAnnouncement.js';
import { mediaNote, sourceView, WITHHELD_AFTER_MS } from '../../../web/call/mediaView.js';
import type { RemoteFeed } from '../../../web/call/Subscriber.js';

function feed(source: RemoteFeed['source'], producerPaused: boolean, at: number): RemoteFeed {
  return {
    consumerId: `c-${source}`,
    producerId: `p-${source}`,
    peerId: 'bob',
    source,
    kind: source === 'microphone' ? 'audio' : 'video',
    track: {} as MediaStreamTrack,
    transformId: `t-${source}`,
    producerPaused,
    pausedChangedAt: at,
    hidden: false,
    spatialLayer: null,
  };
}

function bob(model: CallModel): Participant {
  return model.participants.get('bob')!;
}

describe('media state (mediaView)', () => {
  it("before any announcement: the server's claim, labelled as the server's", () => {
    const model = new CallModel();
    const p = model.participant('bob');
    p.feeds.microphone = feed('microphone', true, 0);
    expect(sourceView(p, 'microphone', 10)).toEqual({ on: false, by: 'server', withheld: false });
    expect(sourceView(p, 'camera', 10)).toEqual({ on: false, by: 'server', withheld: false });
    expect(mediaNote(p, 10)).toBe(
      'Muted and camera off: as the server reports it, not yet confirmed by them',
    );
    p.feeds.microphone = feed('microphone', false, 0);
    p.feeds.camera = feed('camera', false, 0);
    expect(mediaNote(p, 10)).toBe('');
  });

  it("the sender's word decides: off stays off whatever the server forwards", () => {
    const model = new CallModel();
    const p = model.participant('bob');
    p.feeds.microphone = feed('microphone', false, 0);
    p.feeds.camera = feed('camera', false, 0);
    model.setAnnounced('bob', { microphone: false, camera: false, screen: false }, 0);
    expect(sourceView(bob(model), 'microphone', 10_000)).toEqual({
      on: false,
      by: 'sender',
      withheld: false,
    });
    expect(mediaNote(bob(model), 10_000)).toBe('');
  });

  it('on by the sender but not forwarded: withheld after the grace, named in the note', () => {
    const model = new CallModel();
    const p = model.participant('bob');
    p.feeds.microphone = feed('microphone', false, 0);
    p.feeds.camera = feed('camera', false, 0);
    model.setAnnounced('bob', { microphone: true, camera: true, screen: false }, 0);
    // the server pauses the camera at 5 s; the sender keeps saying "on" (heartbeats)
    p.feeds.camera = feed('camera', true, 5000);
    model.setAnnounced('bob', { microphone: true, camera: true, screen: false }, 6000);
    const just = 5000 + WITHHELD_AFTER_MS - 1;
    expect(sourceView(bob(model), 'camera', just).withheld).toBe(false);
    expect(sourceView(bob(model), 'camera', just + 1)).toEqual({
      on: true,
      by: 'sender',
      withheld: true,
    });
    expect(mediaNote(bob(model), just + 1)).toBe('Camera on, but the server is not forwarding it');
    // and the microphone's consumer closed by the server as well
    delete p.feeds.microphone;
    expect(mediaNote(bob(model), just + 1)).toBe(
      'Microphone and camera on, but the server is not forwarding them',
    );
  });

  it('a sender that just turned a source on is not "withheld" while its consumer is on the way', () => {
    const model = new CallModel();
    model.participant('bob');
    model.setAnnounced('bob', { microphone: true, camera: false, screen: false }, 0);
    model.setAnnounced('bob', { microphone: true, camera: false, screen: true }, 9000);
    expect(sourceView(bob(model), 'screen', 9000 + WITHHELD_AFTER_MS - 1).withheld).toBe(false);
    expect(sourceView(bob(model), 'screen', 9000 + WITHHELD_AFTER_MS).withheld).toBe(true);
  });

  it('keeps only the newest announcement per peer; forgets peers that left the group', () => {
    const mine = new MediaAnnouncements();
    const a1 = mine.next({ microphone: true, camera: true, screen: false });
    const a2 = mine.next({ microphone: false, camera: true, screen: false });
    expect(a2.seq).toBeGreaterThan(a1.seq);
    const theirs = new MediaAnnouncements();
    expect(theirs.accept('alice', a2)).toBe(true);
    expect(theirs.accept('alice', a1)).toBe(false); // late or replayed
    expect(theirs.accept('alice', a2)).toBe(false);
    expect(theirs.accept('carol', a1)).toBe(true); // per peer
    theirs.keepOnly(new Set(['carol']));
    expect(theirs.accept('alice', a1)).toBe(true);
  });
});
