/**
 * What MLS application messages carry in a call: chat lines and liveness heartbeats (with the
 * sender's media announcement, mediaAnnouncement.ts), as JSON,
 * padded to a few fixed sizes before the sender signs and MLS encrypts them
 * (shared/mls/padding.ts), so the server learns only a message's bucket. Anything a receiver
 * cannot read as exactly one of these is refused (null), never half-used.
 */
import { pad, unpad } from '../../shared/mls/padding.js';
import { isMediaAnnouncement, type MediaAnnouncement } from './mediaAnnouncement.js';

export const CHAT_MAX_CHARS = 4000;

export type AppMessage = { t: 'chat'; text: string } | { t: 'hb'; media?: MediaAnnouncement };

export function encodeApp(msg: AppMessage): Uint8Array {
  return pad(new TextEncoder().encode(JSON.stringify(msg)));
}

export function decodeApp(data: Uint8Array): AppMessage | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(unpad(data));
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const o = v as Record<string, unknown>;
    if (o.t === 'hb' && o.media === undefined) return { t: 'hb' };
    if (o.t === 'hb' && isMediaAnnouncement(o.media)) {
      const { seq, microphone, camera, screen } = o.media;
      return { t: 'hb', media: { seq, microphone, camera, screen } };
    }
    if (o.t === 'chat' && typeof o.text === 'string' && o.text.length <= CHAT_MAX_CHARS)
      return { t: 'chat', text: o.text };
    return null;
  } catch {
    return null;
  }
}
