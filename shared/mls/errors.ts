// The one error type of the MLS layer. Codes are a stable union: callers branch on `code`, never
// on `message`, and messages never carry key bytes, plaintext or identities.

export type MlsErrorCode =
  /** The envelope is truncated, has an unknown version or kind, or its fields do not agree. */
  | 'ENVELOPE_MALFORMED'
  /** The envelope did not open under this room's key: made without the link, or altered. */
  | 'ENVELOPE_AUTH_FAILED'
  /** The MLS message is for an epoch this member already left behind; nothing changed. */
  | 'STALE_EPOCH'
  /** The MLS message is for an epoch ahead of this member: it missed a commit and must resync. */
  | 'FUTURE_EPOCH'
  /** ts-mls refused the message (bad signature, wrong group, invalid proposal, replay …). */
  | 'MLS_REJECTED'
  /** The operation needs a member of the group, and this one was removed or never joined. */
  | 'NOT_MEMBER'
  /** A commit of this member is waiting for the sequencer; settle it first. */
  | 'COMMIT_PENDING'
  /** Keys for an epoch at or below one already erased or installed: never reinstalled. */
  | 'EPOCH_ERASED'
  /** A leaf index or KID field out of the KID layout's range. */
  | 'KID_RANGE'
  /** Bad arguments (wrong lengths, wrong types). */
  | 'BAD_INPUT'
  /** Use after `close()`. */
  | 'CLOSED';

export class MlsLayerError extends Error {
  override readonly name = 'MlsLayerError';
  constructor(
    readonly code: MlsErrorCode,
    message: string,
  ) {
    super(message);
  }
}
