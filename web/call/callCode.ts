/**
 * The one code people compare to know they are in the same call: the MLS room code from the epoch
 * authenticator (shared/mls/roomCode.ts, 100 bits, new with every epoch). Views and diagnostics
 * read this selector.
 */
import type { CallModel } from './CallModel.js';

export interface CallCode {
  /** What the header shows: a reminder of the code, never enough to verify with. */
  readonly glance: string;
  /** The whole code, as people read it out: "ABCDE-FGHIJ-KLMNO-PQRST". */
  readonly full: string;
}

export function callCode(model: Pick<CallModel, 'roomCode'>): CallCode | null {
  return model.roomCode ? { glance: model.roomCode.glance, full: model.roomCode.full } : null;
}
