/**
 * How a remote source is shown: on or off, and on whose word. The sender's own end-to-end
 * announcement (mediaAnnouncement.ts) decides; the server's claims (a paused producer, a closed
 * consumer) only count before the sender announced anything, and are then labelled as the
 * server's. A source the sender says is on but the server has not forwarded for a few seconds is
 * shown as withheld: the server can always stop forwarding, but not make it look like the
 * person's choice.
 */
import type { MediaSource } from '../../shared/protocol/index.js';
import type { Participant } from './CallModel.js';

/** Time for the announcement and the server's pause/resume or new consumer to both arrive. */
export const WITHHELD_AFTER_MS = 3000;

export interface SourceView {
  readonly on: boolean;
  /** Who says so: the sender end to end, or only the server (no announcement yet). */
  readonly by: 'sender' | 'server';
  /** The sender says on; the server has not forwarded it for WITHHELD_AFTER_MS. */
  readonly withheld: boolean;
}

export function sourceView(p: Participant, source: MediaSource, now = Date.now()): SourceView {
  const feed = p.feeds[source];
  const serverOn = feed !== undefined && !feed.producerPaused;
  if (p.announced === null) return { on: serverOn, by: 'server', withheld: false };
  const on = p.announced.flags[source];
  const since = Math.max(p.announced.changedAt[source], feed?.pausedChangedAt ?? 0);
  return { on, by: 'sender', withheld: on && !serverOn && now - since >= WITHHELD_AFTER_MS };
}

/**
 * One line for a tile or the participant list, or '' when there is nothing to say: a withheld
 * source, or an "off" that only the server claims (an "on" shows for itself).
 */
export function mediaNote(p: Participant, now = Date.now()): string {
  const sources = ['microphone', 'camera', 'screen'] as const;
  const withheld = sources.filter((s) => sourceView(p, s, now).withheld);
  if (withheld.length > 0) {
    const what = sentence(withheld.map((s) => NAMES[s]));
    return `${what} on, but the server is not forwarding ${withheld.length > 1 ? 'them' : 'it'}`;
  }
  if (p.announced !== null) return '';
  const off = (['microphone', 'camera'] as const).filter((s) => !sourceView(p, s, now).on);
  if (off.length === 0) return '';
  return `${sentence(off.map((s) => OFF[s]))}: as the server reports it, not yet confirmed by them`;
}

function sentence(parts: readonly string[]): string {
  const text = parts.join(' and ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const NAMES: Record<MediaSource, string> = {
  camera: 'camera',
  microphone: 'microphone',
  screen: 'screen share',
};
const OFF: Record<'microphone' | 'camera', string> = {
  microphone: 'muted',
  camera: 'camera off',
};
