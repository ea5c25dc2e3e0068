/**
 * What each receiver saw and heard at the end of a run: the camera's colour and frame numbers, the
 * microphone's beeps and pitch, and a shared screen's frames, from the media probe in its page.
 * `finalPerception` reads the pages one last time, until every receiver sees and hears every
 * sender or a timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { toneMatches } from '../media/identity.js';
import {
  beepCheck,
  beepPitch,
  pictureCheck,
  type AudioReport,
  type ProbeReport,
  type VideoReport,
} from '../media/mediaProbe.js';
import type { ReceivedFrom } from '../report/Report.js';
import type { BrowserParticipant } from './BrowserParticipant.js';

/** What receivers are judged on: the last few seconds of picture and sound. */
export const PERCEPTION_WINDOW_MS = 5000;
/** How long the final check waits for a receiver to see and hear everyone. */
const PERCEPTION_TIMEOUT_MS = 20_000;
const MIN_DISTINCT_FRAMES = 5;
const MIN_BEEPS = 3;

export interface Toggle {
  readonly peer: BrowserParticipant;
  readonly offAt: number;
  onAt: number;
}

export interface Heard {
  readonly video: VideoReport | undefined;
  readonly audio: AudioReport | undefined;
  readonly picture: NonNullable<ReceivedFrom['picture']>;
  readonly sound: NonNullable<ReceivedFrom['sound']>;
  /** Only from a screen sharer. */
  readonly screen: NonNullable<ReceivedFrom['screen']> | null;
}

/** receiver → sender peer id → what it saw and heard at the end. */
export type Perception = Map<BrowserParticipant, Map<string, Heard>>;

/**
 * Frames of a shared screen presented in the window. The fake screen carries no colour or frame
 * number of ours: presented frames are what can be counted. It is asked for at 15 frames/s.
 */
const MIN_SCREEN_FRAMES = 5;

function screenCheck(
  report: ProbeReport,
  sender: BrowserParticipant,
  since: number,
): Heard['screen'] {
  const v = report.video.find((x) => x.peerId === sender.peerId && x.source === 'screen');
  const frames = v ? v.samples.filter((x) => x.t >= since).length : 0;
  return { frames, ok: frames >= MIN_SCREEN_FRAMES };
}

function judge(
  report: ProbeReport,
  sender: BrowserParticipant,
  sharer: BrowserParticipant | null,
): Heard {
  const since = report.now - PERCEPTION_WINDOW_MS;
  const video = report.video.find((v) => v.peerId === sender.peerId && v.source === 'camera');
  const audio = report.audio.find((a) => a.peerId === sender.peerId);
  const pic = pictureCheck(video, sender.identity.colour, since);
  const beeps = beepCheck(audio, since);
  const heardHz = audio ? beepPitch(audio, since) : null;
  return {
    video,
    audio,
    picture: {
      expected: sender.identity.colour,
      seen: pic.colour,
      distinctFrames: pic.distinctFrames,
      ok: pic.colour === sender.identity.colour && pic.distinctFrames >= MIN_DISTINCT_FRAMES,
    },
    sound: {
      expectedHz: sender.identity.toneHz,
      heardHz,
      beeps: beeps.beeps,
      ok: beeps.beeps >= MIN_BEEPS && toneMatches(heardHz, sender.identity.toneHz),
    },
    screen: sender === sharer ? screenCheck(report, sender, since) : null,
  };
}

export async function finalPerception(
  joined: readonly BrowserParticipant[],
  toggles: readonly Toggle[],
  sharer: BrowserParticipant | null,
): Promise<Perception> {
  // A camera switched back on needs a moment before its picture counts again.
  const lastOn = Math.max(0, ...toggles.map((t) => t.onAt).filter(Number.isFinite));
  const wait = lastOn + PERCEPTION_WINDOW_MS - Date.now();
  if (wait > 0) await sleep(wait);
  // After a churner's leave or a reconnect, the roster and code take a moment to settle.
  const settled = Date.now() + PERCEPTION_TIMEOUT_MS;
  while (Date.now() < settled) {
    const ds = await Promise.all(joined.map((p) => p.sample().catch(() => null)));
    const codes = new Set(ds.map((d) => d?.securityCode?.full ?? null));
    const admitted = ds.every(
      (d) =>
        d !== null &&
        joined.every(
          (o) =>
            o.peerId === d.selfPeerId || d.senders.some((s) => s.peerId === o.peerId && s.inRoster),
        ),
    );
    if (codes.size === 1 && !codes.has(null) && admitted) break;
    await sleep(500);
  }
  const deadline = Date.now() + PERCEPTION_TIMEOUT_MS;
  const result: Perception = new Map();
  for (;;) {
    let allOk = true;
    for (const receiver of joined) {
      const report = await receiver.probe().catch(() => null);
      const heard = new Map<string, Heard>();
      for (const sender of joined) {
        if (sender === receiver || sender.peerId === null) continue;
        const h = judge(report ?? { now: Date.now(), video: [], audio: [] }, sender, sharer);
        heard.set(sender.peerId, h);
        allOk &&= h.picture.ok && h.sound.ok && (h.screen?.ok ?? true);
      }
      result.set(receiver, heard);
    }
    if (allOk || Date.now() > deadline) return result;
    await sleep(1000);
  }
}
