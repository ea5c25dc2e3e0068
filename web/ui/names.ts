/** How participants are named on screen: only names from the encrypted roster, never the server's. */
import type { Participant } from '../call/CallModel.js';

export function participantName(p: Participant): string {
  return p.roster?.displayName ?? 'Joining…';
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0]![0], parts[parts.length - 1]![0]] : [parts[0]?.[0]];
  return letters.filter(Boolean).join('').toUpperCase() || '?';
}

export type E2eeHealth = 'ok' | 'waiting' | 'failing';

/** ok: frames decrypt; waiting: no keys/frames yet; failing: recent frames fail to decrypt. */
export function e2eeHealth(
  p: Participant,
  now: number = performance.timeOrigin + performance.now(),
): E2eeHealth {
  if (p.roster === null) return 'waiting';
  const recent = p.e2ee.lastFrameAt !== null && now - p.e2ee.lastFrameAt < 3000;
  if (recent) return 'ok';
  if (p.e2ee.failures > 0) return 'failing';
  return 'waiting';
}
