// The single-node Sequencer: one Map, one owner. Each method runs to completion without awaiting
// anything in between its check and its write, so two commits for one epoch cannot both pass.

import { checkEnvelope, DEFAULT_MAX_ENVELOPE_BYTES, signedByRoom } from './checkEnvelope.js';
import {
  COMMIT_LOG_LENGTH,
  logSince,
  type CommitLog,
  type CommitRequest,
  type CreateGroupRequest,
  type GroupInfoRecord,
  type Sequencer,
  type SequencerErrorCode,
  type SequencerResult,
} from './Sequencer.js';

export { DEFAULT_MAX_ENVELOPE_BYTES };

interface RoomState {
  readonly publicKey: Uint8Array;
  epoch: bigint;
  groupInfo: Uint8Array;
  /** The last accepted commits; the last one is based on `epoch - 1`. */
  readonly log: Uint8Array[];
}

export class InMemorySequencer implements Sequencer {
  private readonly rooms = new Map<string, RoomState>();

  constructor(private readonly maxEnvelopeBytes = DEFAULT_MAX_ENVELOPE_BYTES) {}

  createGroup(roomId: string, req: CreateGroupRequest): Promise<SequencerResult> {
    const existing = this.rooms.get(roomId);
    if (existing !== undefined)
      return refuse('GROUP_EXISTS', 'the room already has a group', existing.epoch);
    if (!(req.roomPublicKey instanceof Uint8Array) || req.roomPublicKey.length !== 32)
      return refuse('BAD_ENVELOPE', 'room public key must be 32 bytes', null);
    const bad = checkEnvelope(
      req.groupInfo,
      req.roomPublicKey,
      'groupInfo',
      0n,
      this.maxEnvelopeBytes,
    );
    if (bad !== null) return refuse(bad.code, bad.message, null);
    this.rooms.set(roomId, {
      publicKey: new Uint8Array(req.roomPublicKey),
      epoch: 0n,
      groupInfo: new Uint8Array(req.groupInfo),
      log: [],
    });
    return ok(0n);
  }

  submitCommit(roomId: string, req: CommitRequest): Promise<SequencerResult> {
    const room = this.rooms.get(roomId);
    if (room === undefined) return refuse('NO_GROUP', 'the room has no group', null);
    if (typeof req.baseEpoch !== 'bigint' || req.baseEpoch < 0n)
      return refuse('BAD_ENVELOPE', 'base epoch must be a non-negative bigint', room.epoch);
    const bad =
      checkEnvelope(req.commit, room.publicKey, 'commit', req.baseEpoch, this.maxEnvelopeBytes) ??
      checkEnvelope(
        req.groupInfo,
        room.publicKey,
        'groupInfo',
        req.baseEpoch + 1n,
        this.maxEnvelopeBytes,
      );
    if (bad !== null) return refuse(bad.code, bad.message, room.epoch);
    if (req.baseEpoch < room.epoch)
      return refuse('STALE_EPOCH', `epoch ${req.baseEpoch} already has a commit`, room.epoch);
    if (req.baseEpoch > room.epoch)
      return refuse('FUTURE_EPOCH', `the room is at epoch ${room.epoch}`, room.epoch);
    room.epoch = req.baseEpoch + 1n;
    room.groupInfo = new Uint8Array(req.groupInfo);
    room.log.push(new Uint8Array(req.commit));
    if (room.log.length > COMMIT_LOG_LENGTH) room.log.shift();
    return ok(room.epoch);
  }

  publishGroupInfo(roomId: string, epoch: bigint, groupInfo: Uint8Array): Promise<SequencerResult> {
    const room = this.rooms.get(roomId);
    if (room === undefined) return refuse('NO_GROUP', 'the room has no group', null);
    const bad = checkEnvelope(groupInfo, room.publicKey, 'groupInfo', epoch, this.maxEnvelopeBytes);
    if (bad !== null) return refuse(bad.code, bad.message, room.epoch);
    if (epoch !== room.epoch)
      return refuse(
        epoch < room.epoch ? 'STALE_EPOCH' : 'FUTURE_EPOCH',
        `the room is at epoch ${room.epoch}`,
        room.epoch,
      );
    room.groupInfo = new Uint8Array(groupInfo);
    return ok(room.epoch);
  }

  groupInfo(roomId: string): Promise<GroupInfoRecord | null> {
    const room = this.rooms.get(roomId);
    return Promise.resolve(
      room === undefined ? null : { epoch: room.epoch, groupInfo: new Uint8Array(room.groupInfo) },
    );
  }

  commitsSince(roomId: string, since: bigint): Promise<CommitLog | null> {
    const room = this.rooms.get(roomId);
    if (room === undefined) return Promise.resolve(null);
    return Promise.resolve({ epoch: room.epoch, commits: logSince(room.log, room.epoch, since) });
  }

  verify(roomId: string, envelope: Uint8Array): Promise<boolean> {
    const room = this.rooms.get(roomId);
    return Promise.resolve(
      room !== undefined && signedByRoom(envelope, room.publicKey, this.maxEnvelopeBytes),
    );
  }

  deleteRoom(roomId: string): Promise<void> {
    this.rooms.delete(roomId);
    return Promise.resolve();
  }
}

function ok(epoch: bigint): Promise<SequencerResult> {
  return Promise.resolve({ ok: true, epoch });
}

function refuse(
  code: SequencerErrorCode,
  message: string,
  epoch: bigint | null,
): Promise<SequencerResult> {
  return Promise.resolve({ ok: false, code, message, epoch });
}
