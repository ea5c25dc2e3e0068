// The single-node Sequencer: one Map, one owner. Each method runs to completion without awaiting
// anything in between its check and its write, so two commits for one epoch cannot both pass.

import { readHeader, verifyEnvelopeSignature } from '../../shared/mls/envelopeHeader.js';
import type { EnvelopeKindName } from '../../shared/mls/envelopeHeader.js';
import type {
  CommitRequest,
  CreateGroupRequest,
  GroupInfoRecord,
  Sequencer,
  SequencerErrorCode,
  SequencerResult,
} from './Sequencer.js';

/** Default size limit for one envelope (a GroupInfo with a 500-member ratchet tree is ~200 KB). */
export const DEFAULT_MAX_ENVELOPE_BYTES = 512 * 1024;

interface RoomState {
  readonly publicKey: Uint8Array;
  epoch: bigint;
  groupInfo: Uint8Array;
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
    const bad = this.check(req.groupInfo, req.roomPublicKey, 'groupInfo', 0n);
    if (bad !== null) return refuse(bad.code, bad.message, null);
    this.rooms.set(roomId, {
      publicKey: new Uint8Array(req.roomPublicKey),
      epoch: 0n,
      groupInfo: new Uint8Array(req.groupInfo),
    });
    return ok(0n);
  }

  submitCommit(roomId: string, req: CommitRequest): Promise<SequencerResult> {
    const room = this.rooms.get(roomId);
    if (room === undefined) return refuse('NO_GROUP', 'the room has no group', null);
    if (typeof req.baseEpoch !== 'bigint' || req.baseEpoch < 0n)
      return refuse('BAD_ENVELOPE', 'base epoch must be a non-negative bigint', room.epoch);
    const bad =
      this.check(req.commit, room.publicKey, 'commit', req.baseEpoch) ??
      this.check(req.groupInfo, room.publicKey, 'groupInfo', req.baseEpoch + 1n);
    if (bad !== null) return refuse(bad.code, bad.message, room.epoch);
    if (req.baseEpoch < room.epoch)
      return refuse('STALE_EPOCH', `epoch ${req.baseEpoch} already has a commit`, room.epoch);
    if (req.baseEpoch > room.epoch)
      return refuse('FUTURE_EPOCH', `the room is at epoch ${room.epoch}`, room.epoch);
    room.epoch = req.baseEpoch + 1n;
    room.groupInfo = new Uint8Array(req.groupInfo);
    return ok(room.epoch);
  }

  publishGroupInfo(roomId: string, epoch: bigint, groupInfo: Uint8Array): Promise<SequencerResult> {
    const room = this.rooms.get(roomId);
    if (room === undefined) return refuse('NO_GROUP', 'the room has no group', null);
    const bad = this.check(groupInfo, room.publicKey, 'groupInfo', epoch);
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

  verify(roomId: string, envelope: Uint8Array): Promise<boolean> {
    const room = this.rooms.get(roomId);
    return Promise.resolve(
      room !== undefined &&
        envelope instanceof Uint8Array &&
        envelope.length <= this.maxEnvelopeBytes &&
        verifyEnvelopeSignature(envelope, room.publicKey),
    );
  }

  deleteRoom(roomId: string): Promise<void> {
    this.rooms.delete(roomId);
    return Promise.resolve();
  }

  private check(
    envelope: Uint8Array,
    publicKey: Uint8Array,
    kind: EnvelopeKindName,
    epoch: bigint,
  ): { code: SequencerErrorCode; message: string } | null {
    if (!(envelope instanceof Uint8Array)) return { code: 'BAD_ENVELOPE', message: 'not bytes' };
    if (envelope.length > this.maxEnvelopeBytes)
      return { code: 'TOO_LARGE', message: `${kind} envelope over ${this.maxEnvelopeBytes} bytes` };
    let header;
    try {
      header = readHeader(envelope);
    } catch {
      return { code: 'BAD_ENVELOPE', message: `${kind} envelope is malformed` };
    }
    if (header.kind !== kind || header.epoch !== epoch)
      return { code: 'BAD_ENVELOPE', message: `expected a ${kind} envelope for epoch ${epoch}` };
    if (!verifyEnvelopeSignature(envelope, publicKey))
      return { code: 'BAD_ENVELOPE', message: `${kind} envelope is not signed with the room key` };
    return null;
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
