// The server's side of MLS signalling: the Sequencer orders commits, this fans accepted ones out to
// the room, relays KeyPackages and application messages, and tells the room when every member is
// on the current epoch. Everything it handles is a sealed envelope; it reads the clear header only
// (kind, epoch: shared/mls/envelopeHeader.ts) and checks the room signature, never MLS itself.

import { readHeader } from '../../shared/mls/envelopeHeader.js';
import type { EnvelopeKindName } from '../../shared/mls/envelopeHeader.js';
import type { NotificationName, NotificationOf } from '../../shared/protocol/index.js';
import { ProtocolError } from '../../shared/protocol/index.js';
import type { Sequencer, SequencerResult } from './Sequencer.js';

/** What the relay needs of a room's peer (sfu/rooms/Peer satisfies it). */
export interface MlsPeer {
  readonly id: string;
  notify<K extends NotificationName>(name: K, message: NotificationOf<K>): void;
}

/** Envelope kinds a peer may fan out without the sequencer. */
const RELAYED_KINDS: ReadonlySet<EnvelopeKindName> = new Set(['keyPackage', 'application']);

/**
 * Per room: the epoch each MLS peer last reported installed (-1 before its first report), and the
 * last epoch announced ready.
 */
interface Readiness {
  readonly reported: Map<string, bigint>;
  announced: bigint;
}

export class MlsRelay {
  private readonly readiness = new Map<string, Readiness>();

  constructor(readonly sequencer: Sequencer) {}

  async groupInfo(
    roomId: string,
    from: MlsPeer,
  ): Promise<{ epoch: number | null; groupInfo: Uint8Array | null }> {
    this.participant(roomId, from.id);
    const gi = await this.sequencer.groupInfo(roomId);
    return gi === null
      ? { epoch: null, groupInfo: null }
      : { epoch: Number(gi.epoch), groupInfo: gi.groupInfo };
  }

  /** The commits a member at `epoch` missed (empty when the log no longer reaches back). */
  async commitsSince(
    roomId: string,
    from: MlsPeer,
    epoch: number,
  ): Promise<{ epoch: number | null; commits: Uint8Array[] }> {
    this.participant(roomId, from.id);
    const log = await this.sequencer.commitsSince(roomId, BigInt(epoch));
    return log === null
      ? { epoch: null, commits: [] }
      : { epoch: Number(log.epoch), commits: [...log.commits] };
  }

  async createGroup(
    roomId: string,
    from: MlsPeer,
    roomPublicKey: Uint8Array,
    groupInfo: Uint8Array,
  ): Promise<{ epoch: number }> {
    this.participant(roomId, from.id);
    const res = await this.sequencer.createGroup(roomId, { roomPublicKey, groupInfo });
    return { epoch: accepted(res) };
  }

  /** Orders a commit; on acceptance fans it out to every other peer before returning. */
  async commit(
    roomId: string,
    from: MlsPeer,
    peers: Iterable<MlsPeer>,
    req: {
      baseEpoch: number;
      commit: Uint8Array;
      groupInfo: Uint8Array;
      welcome: Uint8Array | null;
    },
  ): Promise<{ epoch: number }> {
    if (req.welcome !== null) await this.assertRelayable(roomId, req.welcome, 'welcome');
    const res = await this.sequencer.submitCommit(roomId, {
      baseEpoch: BigInt(req.baseEpoch),
      commit: req.commit,
      groupInfo: req.groupInfo,
    });
    const epoch = accepted(res);
    const message = { from: from.id, epoch, commit: req.commit, welcome: req.welcome };
    for (const peer of peers) if (peer !== from) peer.notify('mlsCommit', message);
    return { epoch };
  }

  async publishGroupInfo(roomId: string, epoch: number, groupInfo: Uint8Array): Promise<void> {
    accepted(await this.sequencer.publishGroupInfo(roomId, BigInt(epoch), groupInfo));
  }

  /** Fans a KeyPackage or application envelope out to every other peer. */
  async send(
    roomId: string,
    from: MlsPeer,
    peers: Iterable<MlsPeer>,
    envelope: Uint8Array,
  ): Promise<void> {
    await this.assertRelayable(roomId, envelope, null);
    for (const peer of peers)
      if (peer !== from) peer.notify('mlsMessage', { from: from.id, envelope });
  }

  /** `from` installed `epoch`; announces the room's epoch once every reporting peer is on it. */
  async ready(
    roomId: string,
    from: MlsPeer,
    peers: Iterable<MlsPeer>,
    epoch: number,
  ): Promise<void> {
    const gi = await this.sequencer.groupInfo(roomId);
    if (gi === null) throw new ProtocolError('NO_GROUP', 'the room has no group');
    this.participant(roomId, from.id).reported.set(from.id, BigInt(epoch));
    this.announce(roomId, gi.epoch, [...peers]);
  }

  /** A peer left the room (it may have been the last one not ready yet). */
  async peerGone(roomId: string, peerId: string, peers: Iterable<MlsPeer>): Promise<void> {
    const r = this.readiness.get(roomId);
    if (r === undefined) return;
    r.reported.delete(peerId);
    const gi = await this.sequencer.groupInfo(roomId);
    if (gi !== null) this.announce(roomId, gi.epoch, [...peers]);
  }

  /** The room closed: forget its group. Idempotent. */
  async deleteRoom(roomId: string): Promise<void> {
    this.readiness.delete(roomId);
    await this.sequencer.deleteRoom(roomId);
  }

  /**
   * Counts `peerId` among the room's MLS peers from its first MLS request (a newcomer fetching the
   * GroupInfo), as not ready until it reports an epoch.
   */
  private participant(roomId: string, peerId: string): Readiness {
    let r = this.readiness.get(roomId);
    if (r === undefined) {
      r = { reported: new Map(), announced: -1n };
      this.readiness.set(roomId, r);
    }
    if (!r.reported.has(peerId)) r.reported.set(peerId, -1n);
    return r;
  }

  private announce(roomId: string, current: bigint, peers: MlsPeer[]): void {
    const r = this.readiness.get(roomId);
    if (r === undefined || r.announced >= current) return;
    const present = new Set(peers.map((p) => p.id));
    for (const id of [...r.reported.keys()]) if (!present.has(id)) r.reported.delete(id);
    if (r.reported.size === 0) return;
    for (const e of r.reported.values()) if (e !== current) return;
    r.announced = current;
    for (const peer of peers)
      if (r.reported.has(peer.id)) peer.notify('mlsEpochReady', { epoch: Number(current) });
  }

  /** Clear-header and signature checks for an envelope the sequencer does not order. */
  private async assertRelayable(
    roomId: string,
    envelope: Uint8Array,
    kind: EnvelopeKindName | null,
  ): Promise<void> {
    let header;
    try {
      header = readHeader(envelope);
    } catch {
      throw new ProtocolError('BAD_ENVELOPE', 'the envelope is malformed');
    }
    if (kind === null ? !RELAYED_KINDS.has(header.kind) : header.kind !== kind)
      throw new ProtocolError('BAD_ENVELOPE', `a ${header.kind} envelope cannot be sent here`);
    if ((await this.sequencer.groupInfo(roomId)) === null)
      throw new ProtocolError('NO_GROUP', 'the room has no group');
    if (!(await this.sequencer.verify(roomId, envelope)))
      throw new ProtocolError('BAD_ENVELOPE', 'the envelope is not signed with the room key');
  }
}

function accepted(res: SequencerResult): number {
  if (res.ok) return Number(res.epoch);
  throw new ProtocolError(res.code, res.message);
}
