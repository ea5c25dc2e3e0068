/**
 * "Does this person see and hear that person?", answered from the in-page media probe: the
 * remote tile shows the sender's colour, its frame numbers advance, and the sender's beeps are
 * heard about twice a second.
 */
import { sleep, type InPage } from '../browsers/driver.js';
import { CAMERA } from './fakeMedia.js';
import { beepCheck, pictureCheck, probeReport, type ProbeReport } from './mediaProbe.js';
import type { Colour } from './fakeMedia.js';

export interface Perception {
  readonly peer: string;
  readonly colour: string | null;
  readonly distinctFrames: number;
  /** Share of frame-number changes that move forward (mod the looping file's length). */
  readonly forward: number;
  readonly beeps: number;
  readonly beepIntervalMs: number | null;
}

/** How many frame-number changes go forward, as a fraction (the y4m loops every CAMERA.frames). */
function forwardShare(frames: readonly number[]): number {
  let changes = 0;
  let forward = 0;
  for (let i = 1; i < frames.length; i++) {
    const d = (frames[i]! - frames[i - 1]! + CAMERA.frames) % CAMERA.frames;
    if (d === 0) continue;
    changes++;
    if (d < CAMERA.frames / 2) forward++;
  }
  return changes === 0 ? 0 : forward / changes;
}

/** Who a receiver should see: their name, peer id and camera colour. */
export interface Sender {
  readonly name: string;
  readonly colour: Colour;
  readonly peerId: string | null;
}

export function perceive(report: ProbeReport, sender: Sender, windowMs: number): Perception {
  const since = report.now - windowMs;
  const video = report.video.find((v) => v.peerId === sender.peerId && v.source === 'camera');
  const pic = pictureCheck(video, sender.colour, since);
  const frames = (video?.samples ?? [])
    .filter((s) => s.t >= since && s.frame !== null)
    .map((s) => s.frame!);
  const audio = report.audio.find((a) => a.peerId === sender.peerId);
  const beeps = beepCheck(audio, since);
  return {
    peer: sender.name,
    colour: pic.colour,
    distinctFrames: pic.distinctFrames,
    forward: Number(forwardShare(frames).toFixed(2)),
    beeps: beeps.beeps,
    beepIntervalMs: beeps.medianIntervalMs,
  };
}

/** Passes when the picture is the sender's, moving forward, and beeps come about twice a second. */
export function seesAndHears(p: Perception, expectedColour: string): boolean {
  return (
    p.colour === expectedColour &&
    p.distinctFrames >= 5 &&
    p.forward >= 0.8 &&
    p.beeps >= 3 &&
    p.beepIntervalMs !== null &&
    p.beepIntervalMs >= 300 &&
    p.beepIntervalMs <= 1100
  );
}

/**
 * Polls until `receiver` sees and hears every one of `senders` over the last `windowMs`, or
 * times out; returns the last perceptions either way (the caller asserts on them).
 */
export async function waitToSeeAndHear(
  receiver: InPage,
  senders: readonly Sender[],
  { windowMs = 4000, timeoutMs = 45_000 } = {},
): Promise<Perception[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Perception[] = [];
  while (Date.now() < deadline) {
    const report = await probeReport(receiver);
    last = senders.map((s) => perceive(report, s, windowMs));
    if (last.every((p, i) => seesAndHears(p, senders[i]!.colour))) return last;
    await sleep(500);
  }
  return last;
}
