// One member's view of the call's MLS group (RFC 9420), through ts-mls. Nothing of MLS is written
// here: this class sequences ts-mls calls, seals everything in room envelopes, and keeps a commit
// *pending* until the server's sequencer accepted it (the sequencer takes the first commit per
// epoch; a refused committer discards its pending state and processes the winner instead).
//
// Joining: by external commit from the sealed GroupInfo the server keeps (`joinExternal`,
// externalCommit.ts), or by Welcome after a member added our KeyPackage (WelcomeJoiner.ts). Leaving members are removed by
// a member's commit (`commit({ remove })`). A member that missed a commit resyncs by an external
// commit that replaces its own leaf (`resync`, RFC 9420 §12.4.3.2).

import {
  acceptAll,
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  emptyPskIndex,
  processMessage,
  type ClientState,
  type Proposal,
} from 'ts-mls';
import { appSignedContent, decodeAppPayload, encodeAppPayload } from './appPayload.js';
import { openMessage, sealMessage } from './codec.js';
import { MlsLayerError } from './errors.js';
import { externalCommit, type SealedCommit } from './externalCommit.js';
import {
  keyPackage,
  makeIdentity,
  mlsRejected,
  type Identity,
  type MemberConfig,
} from './memberIdentity.js';
import { roomCodeFromAuthenticator, type RoomCode } from './roomCode.js';
import { exportSFrameBaseKey, MAX_LEAF_INDEX } from './sframeKeys.js';

export type ProcessOutcome =
  | { readonly kind: 'advanced'; readonly epoch: bigint }
  | { readonly kind: 'removed' }
  | { readonly kind: 'stale' }
  | { readonly kind: 'application'; readonly data: Uint8Array; readonly leafIndex: number };

export interface MemberInfo {
  readonly leafIndex: number;
  readonly identity: Uint8Array;
  /** The leaf's MLS signature public key (what per-person fingerprints are made of). */
  readonly signaturePublicKey: Uint8Array;
}

export class GroupMember {
  /**
   * A commit waiting for the sequencer. `consumed` are the current epoch's secrets ts-mls used up
   * making it: wiped only on `confirm()`, because a refused commit leaves the member in the current
   * epoch, where it still needs them to process the winner.
   */
  private pending: {
    readonly baseEpoch: bigint;
    readonly state: ClientState;
    readonly consumed: readonly Uint8Array[];
  } | null = null;

  /** @internal use the static constructors. */
  constructor(
    private readonly id: Identity,
    private state: ClientState,
  ) {}

  /** The first member: a new group at epoch 0. */
  static async create(cfg: MemberConfig, groupId: Uint8Array): Promise<GroupMember> {
    const id = await makeIdentity(cfg);
    const kp = await keyPackage(id);
    const state = await createGroup(groupId, kp.publicPackage, kp.privatePackage, [], id.impl);
    return new GroupMember(id, state);
  }

  /**
   * Joins by external commit from a sealed GroupInfo. The returned member is pending: call
   * `confirm()` when the sequencer accepted `commit`, or drop it and try again with a newer GroupInfo.
   */
  static async joinExternal(
    cfg: MemberConfig,
    groupInfoEnvelope: Uint8Array,
  ): Promise<{ member: GroupMember; commit: SealedCommit }> {
    const id = await makeIdentity(cfg);
    const { state, commit } = await externalCommit(id, groupInfoEnvelope, false);
    const member = new GroupMember(id, state);
    member.pending = { baseEpoch: commit.baseEpoch, state, consumed: [] };
    return { member, commit };
  }

  get epoch(): bigint {
    return this.state.groupContext.epoch;
  }

  private get groupId(): Uint8Array {
    return this.state.groupContext.groupId;
  }

  get leafIndex(): number {
    return this.state.privatePath.leafIndex;
  }

  get active(): boolean {
    return this.state.groupActiveState.kind === 'active';
  }

  get hasPendingCommit(): boolean {
    return this.pending !== null;
  }

  /** The room code of the current epoch (docs/protocol.md). */
  roomCode(): RoomCode {
    return roomCodeFromAuthenticator(this.state.keySchedule.epochAuthenticator);
  }

  /** Current members by leaf index (blank leaves skipped). */
  members(): MemberInfo[] {
    const out: MemberInfo[] = [];
    this.state.ratchetTree.forEach((node, i) => {
      if (node?.nodeType === 'leaf' && node.leaf.credential.credentialType === 'basic')
        out.push({
          leafIndex: i / 2,
          identity: node.leaf.credential.identity,
          signaturePublicKey: node.leaf.signaturePublicKey,
        });
    });
    return out;
  }

  /** SFrame base key of the current epoch (RFC 9605 §5.2); `nk` = SFrame AEAD key length. */
  sframeBaseKey(nk = 16): Promise<Uint8Array> {
    this.assertActive();
    return exportSFrameBaseKey(this.state, this.id.impl, nk);
  }

  /** The sealed GroupInfo of the current epoch (with external_pub and the ratchet tree). */
  async groupInfo(): Promise<Uint8Array> {
    this.assertActive();
    const gi = await createGroupInfoWithExternalPubAndRatchetTree(this.state, [], this.id.impl);
    return sealMessage(this.id.keys, 'groupInfo', this.epoch, {
      wireformat: 'mls_group_info',
      groupInfo: gi,
    });
  }

  /**
   * One commit for every change at once (coalesced joins by KeyPackage and removals). Pending until
   * `confirm()`; `discard()` if the sequencer refused it.
   */
  async commit(changes: {
    add?: readonly Uint8Array[];
    remove?: readonly number[];
  }): Promise<SealedCommit> {
    this.assertActive();
    if (this.pending !== null) throw new MlsLayerError('COMMIT_PENDING', 'a commit is pending');
    const proposals: Proposal[] = [];
    for (const env of changes.add ?? []) {
      const { message } = openMessage(this.id.keys, env);
      if (message.wireformat !== 'mls_key_package')
        throw new MlsLayerError('ENVELOPE_MALFORMED', 'not a KeyPackage');
      proposals.push({ proposalType: 'add', add: { keyPackage: message.keyPackage } });
    }
    const present = new Set(this.members().map((m) => m.leafIndex));
    for (const leaf of new Set(changes.remove ?? [])) {
      if (leaf === this.leafIndex || !present.has(leaf)) continue; // not ours to remove / gone
      proposals.push({ proposalType: 'remove', remove: { removed: leaf } });
    }
    const baseEpoch = this.epoch;
    let result;
    try {
      result = await createCommit(
        { state: this.state, cipherSuite: this.id.impl },
        { extraProposals: proposals, ratchetTreeExtension: true },
      );
    } catch (e) {
      mlsRejected(e);
    }
    const next = result.newState;
    if (next.privatePath.leafIndex > MAX_LEAF_INDEX)
      throw new MlsLayerError('KID_RANGE', 'group grew past the KID layout');
    const gi = await createGroupInfoWithExternalPubAndRatchetTree(next, [], this.id.impl);
    this.pending = { baseEpoch, state: next, consumed: result.consumed };
    return {
      baseEpoch,
      commit: sealMessage(this.id.keys, 'commit', baseEpoch, result.commit),
      groupInfo: sealMessage(this.id.keys, 'groupInfo', baseEpoch + 1n, {
        wireformat: 'mls_group_info',
        groupInfo: gi,
      }),
      welcome:
        result.welcome === undefined
          ? null
          : sealMessage(this.id.keys, 'welcome', baseEpoch + 1n, {
              wireformat: 'mls_welcome',
              welcome: result.welcome,
            }),
    };
  }

  /**
   * Seals an application message (chat, display name) for the current epoch, signed as ours
   * (appPayload.ts). Fails with COMMIT_PENDING while a commit waits for the sequencer.
   */
  async application(data: Uint8Array): Promise<Uint8Array> {
    this.assertActive();
    if (this.pending !== null) throw new MlsLayerError('COMMIT_PENDING', 'a commit is pending');
    const content = appSignedContent(this.groupId, this.epoch, this.leafIndex, data);
    const signature = await this.id.impl.signature.sign(this.id.signature.signKey, content);
    const payload = encodeAppPayload({ leafIndex: this.leafIndex, signature, data });
    let res;
    try {
      res = await createApplicationMessage(this.state, payload, this.id.impl);
    } catch (e) {
      mlsRejected(e);
    }
    res.consumed.forEach((b) => b.fill(0));
    this.state = res.newState;
    return sealMessage(this.id.keys, 'application', this.epoch, {
      wireformat: 'mls_private_message',
      privateMessage: res.privateMessage,
    });
  }

  /** The sequencer accepted our pending commit: move to its epoch. */
  confirm(): bigint {
    if (this.pending === null) throw new MlsLayerError('BAD_INPUT', 'no pending commit');
    this.state = this.pending.state;
    this.pending.consumed.forEach((b) => b.fill(0));
    this.pending = null;
    return this.epoch;
  }

  /** The sequencer refused our pending commit (another won the epoch): forget it. */
  discard(): void {
    this.pending = null;
  }

  /**
   * Resync after missed messages: an external commit from the latest GroupInfo that replaces our
   * own leaf. Pending until `confirm()`.
   */
  async resync(groupInfoEnvelope: Uint8Array): Promise<SealedCommit> {
    if (this.pending !== null) throw new MlsLayerError('COMMIT_PENDING', 'a commit is pending');
    const { state, commit } = await externalCommit(this.id, groupInfoEnvelope, true);
    this.pending = { baseEpoch: commit.baseEpoch, state, consumed: [] };
    return commit;
  }

  /**
   * Processes a sealed commit or application message. Stale ones (an epoch we left) change nothing;
   * one from a later epoch throws FUTURE_EPOCH (the caller resyncs); anything ts-mls refuses throws
   * MLS_REJECTED and leaves the state as it was (ts-mls never mutates its inputs).
   */
  async process(envelope: Uint8Array): Promise<ProcessOutcome> {
    this.assertActive();
    const { kind, epoch, message } = openMessage(this.id.keys, envelope);
    if (kind !== 'commit' && kind !== 'application')
      throw new MlsLayerError('BAD_INPUT', `cannot process a ${kind} envelope`);
    if (epoch < this.epoch) return { kind: 'stale' };
    if (epoch > this.epoch)
      throw new MlsLayerError('FUTURE_EPOCH', `message for epoch ${epoch}, at ${this.epoch}`);
    if (message.wireformat !== 'mls_private_message' && message.wireformat !== 'mls_public_message')
      throw new MlsLayerError('ENVELOPE_MALFORMED', 'not a framed MLS message');
    let res;
    try {
      res = await processMessage(message, this.state, emptyPskIndex, acceptAll, this.id.impl);
    } catch (e) {
      mlsRejected(e);
    }
    res.consumed.forEach((b) => b.fill(0));
    if (res.kind === 'applicationMessage') {
      this.state = res.newState;
      const p = decodeAppPayload(res.message);
      const sender = this.members().find((m) => m.leafIndex === p.leafIndex);
      const content = appSignedContent(this.groupId, epoch, p.leafIndex, p.data);
      if (
        sender === undefined ||
        !(await this.id.impl.signature.verify(sender.signaturePublicKey, content, p.signature))
      )
        throw new MlsLayerError('MLS_REJECTED', 'application message sender does not verify');
      return { kind: 'application', data: p.data, leafIndex: p.leafIndex };
    }
    if (res.newState.groupContext.epoch === this.epoch)
      throw new MlsLayerError(
        'MLS_REJECTED',
        'proposals by reference are not used in this protocol',
      );
    this.pending = null; // another commit won our epoch
    this.state = res.newState;
    if (!this.active) return { kind: 'removed' };
    return { kind: 'advanced', epoch: this.epoch };
  }

  private assertActive(): void {
    if (!this.active) throw new MlsLayerError('NOT_MEMBER', 'not a member of the group');
  }
}
