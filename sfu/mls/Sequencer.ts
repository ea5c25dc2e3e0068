// The sequencer orders a room's MLS handshake messages without reading them (the role DAVE's
// gateway plays). Per room it knows only: the current epoch, the room's envelope public key, and
// the latest sealed GroupInfo as an opaque blob. It accepts the first commit based on the current
// epoch and refuses every later one with STALE_EPOCH; the refused client processes the winner and
// retries if it still must. It never parses MLS: it reads the envelope's clear header (kind and
// epoch, shared/mls/envelopeHeader.ts) and checks the envelope signature, so an envelope made
// without the link (a ghost) cannot advance the epoch.
//
// Behind this interface so the state can live in Redis for multi-node rooms (InMemorySequencer for
// one node, RedisSequencer for several); the same contract tests (test/contracts/sequencer.ts) run
// on every implementation.

import { MLS_COMMIT_LOG_LENGTH } from '../../shared/protocol/index.js';

export type SequencerErrorCode =
  /** The commit is based on an epoch that another commit already ended. */
  | 'STALE_EPOCH'
  /** The commit is based on an epoch the room has not reached (a forged or confused client). */
  | 'FUTURE_EPOCH'
  /** No group exists for the room yet (create it first). */
  | 'NO_GROUP'
  /** The room already has a group (someone else created it first): join it instead. */
  | 'GROUP_EXISTS'
  /** An envelope is malformed, of the wrong kind or epoch, or not signed with the room's key. */
  | 'BAD_ENVELOPE'
  /** An envelope is larger than the limit. */
  | 'TOO_LARGE'
  /** The shared state (Redis) cannot be reached; nothing was changed, try again. */
  | 'UNAVAILABLE';

export type SequencerResult =
  | { readonly ok: true; readonly epoch: bigint }
  | {
      readonly ok: false;
      readonly code: SequencerErrorCode;
      readonly message: string;
      /** The room's current epoch (null without a group), so the client knows where it stands. */
      readonly epoch: bigint | null;
    };

export interface GroupInfoRecord {
  readonly epoch: bigint;
  /** The sealed GroupInfo envelope, exactly as submitted. */
  readonly groupInfo: Uint8Array;
}

/**
 * Accepted commits kept per room for members catching up. A member further behind resyncs by an
 * external commit. 16 covers a reconnect during a busy minute; at 50 members a commit is ~5 KB.
 */
export const COMMIT_LOG_LENGTH = MLS_COMMIT_LOG_LENGTH;

export interface CommitLog {
  /** The room's current epoch. */
  readonly epoch: bigint;
  /**
   * The accepted commits based on `since`, `since + 1`, … `epoch - 1`, in order; empty when
   * `since` is not behind, or when the log no longer reaches back to it.
   */
  readonly commits: readonly Uint8Array[];
}

export interface CreateGroupRequest {
  /** Ed25519 public key of the room's envelope signing key (derived from the room secret). */
  readonly roomPublicKey: Uint8Array;
  /** Sealed GroupInfo of epoch 0. */
  readonly groupInfo: Uint8Array;
}

export interface CommitRequest {
  /** The epoch the commit is based on (must equal the envelope's clear epoch). */
  readonly baseEpoch: bigint;
  readonly commit: Uint8Array;
  /** Sealed GroupInfo of the epoch the commit makes (baseEpoch + 1). */
  readonly groupInfo: Uint8Array;
}

export interface Sequencer {
  createGroup(roomId: string, req: CreateGroupRequest): Promise<SequencerResult>;
  submitCommit(roomId: string, req: CommitRequest): Promise<SequencerResult>;
  /** Replaces the GroupInfo of the current epoch (a member refreshing it); same checks. */
  publishGroupInfo(roomId: string, epoch: bigint, groupInfo: Uint8Array): Promise<SequencerResult>;
  /** The latest sealed GroupInfo, or null without a group. */
  groupInfo(roomId: string): Promise<GroupInfoRecord | null>;
  /** The commits a member at epoch `since` missed, or null without a group. */
  commitsSince(roomId: string, since: bigint): Promise<CommitLog | null>;
  /** True when `envelope` is signed with the room's key (for relaying other envelopes). */
  verify(roomId: string, envelope: Uint8Array): Promise<boolean>;
  /** Forgets the room (the last member left). Idempotent. */
  deleteRoom(roomId: string): Promise<void>;
}

/** The entries of `log` (the last one based on `current - 1`) based on `since` and later. */
export function logSince(log: readonly Uint8Array[], current: bigint, since: bigint): Uint8Array[] {
  const missed = current - since;
  if (since < 0n || missed <= 0n || missed > BigInt(log.length)) return [];
  return log.slice(log.length - Number(missed)).map((c) => new Uint8Array(c));
}
