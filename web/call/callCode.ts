/**
 * The one code people compare to know they are in the same call: on MLS the room code from the
 * epoch authenticator (shared/mls/roomCode.ts, 100 bits, changes with every epoch); on the pairwise
 * protocol its room code over the roster's identity keys (shared/e2ee/securityCode.ts). Views and
 * diagnostics read this selector instead of choosing between the model's two fields.
 */
import type { CallModel } from './CallModel.js';

export interface CallCode {
  readonly protocol: 'mls' | 'pairwise';
  /** What the header shows: a reminder of the code, never enough to verify with. */
  readonly glance: string;
  /** The whole code, as people read it out (MLS: "ABCDE-FGHIJ-KLMNO-PQRST"). */
  readonly full: string;
  /** Pairwise only: the code's emoji rendering, shown above its digits. */
  readonly emoji: readonly string[];
}

export function callCode(model: Pick<CallModel, 'roomCode' | 'securityCode'>): CallCode | null {
  if (model.roomCode)
    return {
      protocol: 'mls',
      glance: model.roomCode.glance,
      full: model.roomCode.full,
      emoji: [],
    };
  if (model.securityCode)
    return {
      protocol: 'pairwise',
      glance: model.securityCode.emoji.slice(0, 3).join(''),
      full: model.securityCode.digits,
      emoji: model.securityCode.emoji,
    };
  return null;
}
