// One member's view of the call's MLS group (RFC 9420), through ts-mls. Nothing of MLS is written
// here: this class sequences ts-mls calls, seals everything in room envelopes, and keeps a commit
// *pending* until the server's sequencer accepted it (the sequencer takes the first commit per
// epoch; a refused committer discards its pending state and processes the winner instead).
//
// Joining: by external commit from the sealed GroupInfo the server keeps (`joinExternal`), or by
// Welcome after a member added our KeyPackage (`WelcomeJoiner`). Leaving members are removed by
// a member's commit (`commit({ remove })`). A member that missed a commit resyncs by an external
// commit that replaces its own leaf (`resync`, RFC 9420 §12.4.3.2).

import {
  acceptAll,
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  generateKeyPackageWithKey,
  joinGroup,
  joinGroupExternal,
  processMessage,
  type CiphersuiteImpl,
  type ClientState,
  type GroupInfo,
  type KeyPackage,
  type PrivateKeyPackage,
  type Proposal,
} from 'ts-mls';
// Not re-exported from the package root; the package's `./*.js` export map makes it public.
import { ratchetTreeFromExtension } from 'ts-mls/groupInfo.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { equalBytes } from '@noble/curves/utils.js';
import { appSignedContent, decodeAppPayload, encodeAppPayload } from './appPayload.js';
import { openMessage, sealMessage } from './codec.js';
import { deriveEnvelopeKeys, type EnvelopeKeys } from './envelope.js';
import { MlsLayerError } from './errors.js';
import { roomCodeFromAuthenticator, type RoomCode } from './roomCode.js';
import { exportSFrameBaseKey, MAX_LEAF_INDEX } from './sframeKeys.js';
import { DEFAULT_CHOICE, suiteImpl, type SuiteChoice } from './suite.js';

export interface MemberConfig {
  readonly roomId: string;
  /** The 32-byte room secret from the link's fragment. */
  readonly roomSecret: Uint8Array;
  /** Public identity bytes for the MLS basic credential (never logged). */
  readonly identity: Uint8Array;
  /**
   * The 32-byte Ed25519 seed of the person's long-term identity key, used as the MLS signature key
   * so the leaf's signature public key *is* the identity key (what people verify). Omitted: a fresh
   * key for this call.
   */
  readonly signatureSeed?: Uint8Array;
  readonly suite?: SuiteChoice;
}

/** What a committer hands to the sequencer: the commit and the GroupInfo of the epoch it makes. */
export interface SealedCommit {
  readonly baseEpoch: bigint;
  readonly commit: Uint8Array;
  readonly groupInfo: Uint8Array;
  /** For members added by KeyPackage; null when the commit adds nobody. */
  readonly welcome: Uint8Array | null;
}

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

interface Identity {
  readonly keys: EnvelopeKeys;
  readonly impl: CiphersuiteImpl;
  readonly cfg: MemberConfig;
  readonly signature: { signKey: Uint8Array; publicKey: Uint8Array };
}

async function makeIdentity(cfg: MemberConfig): Promise<Identity> {
  const impl = await suiteImpl(cfg.suite ?? DEFAULT_CHOICE);
  return {
    keys: deriveEnvelopeKeys(cfg.roomSecret, cfg.roomId),
    impl,
    cfg,
    signature: await signatureKeys(cfg, impl),
  };
}

async function signatureKeys(
  cfg: MemberConfig,
  impl: CiphersuiteImpl,
): Promise<{ signKey: Uint8Array; publicKey: Uint8Array }> {
  if (cfg.signatureSeed === undefined) return impl.signature.keygen();
  if (!(cfg.signatureSeed instanceof Uint8Array) || cfg.signatureSeed.length !== 32)
    throw new MlsLayerError('BAD_INPUT', 'signature seed must be 32 bytes');
  if (impl.name.endsWith('_Ed25519') === false)
    throw new MlsLayerError('BAD_INPUT', 'an identity seed needs an Ed25519 suite');
  const signKey = new Uint8Array(cfg.signatureSeed);
  return { signKey, publicKey: ed25519.getPublicKey(signKey) };
}

async function keyPackage(
  id: Identity,
): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
  return generateKeyPackageWithKey(
    { credentialType: 'basic', identity: id.cfg.identity },
    defaultCapabilities(),
    defaultLifetime,
    [],
    id.signature,
    id.impl,
  );
}

function mlsRejected(e: unknown): never {
  if (e instanceof MlsLayerError) throw e;
  // ts-mls messages name the failed check, never secrets; keep only the class and the check.
  const what = e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error';
  throw new MlsLayerError('MLS_REJECTED', `ts-mls refused the message (${what})`);
}

/** True when the GroupInfo's ratchet tree still has a leaf with this signature key. */
function hasLeafWithKey(groupInfo: GroupInfo, signaturePublicKey: Uint8Array): boolean {
  let tree;
  try {
    tree = ratchetTreeFromExtension(groupInfo);
  } catch (e) {
    mlsRejected(e);
  }
  return (tree ?? []).some(
    (n) => n?.nodeType === 'leaf' && equalBytes(n.leaf.signaturePublicKey, signaturePublicKey),
  );
}

/**
 * An external commit (join, or resync replacing our old leaf) from a sealed GroupInfo.
 *
 * A resync only asks ts-mls to replace our leaf when the tree still has it: ts-mls 1.6.4 looks the
 * old leaf up by signature key and, when it is gone (a commit we missed removed us, e.g. for
 * liveness), calls removeLeafNode(-1), which never returns and freezes the event loop. A member
 * removed while away therefore joins afresh, which is what a resync must achieve anyway.
 */
async function externalCommit(
  id: Identity,
  groupInfoEnvelope: Uint8Array,
  resync: boolean,
): Promise<{ state: ClientState; commit: SealedCommit }> {
  const { message } = openMessage(id.keys, groupInfoEnvelope);
  if (message.wireformat !== 'mls_group_info')
    throw new MlsLayerError('ENVELOPE_MALFORMED', 'not a GroupInfo');
  const replaceOwnLeaf = resync && hasLeafWithKey(message.groupInfo, id.signature.publicKey);
  const kp = await keyPackage(id);
  let joined;
  try {
    joined = await joinGroupExternal(
      message.groupInfo,
      kp.publicPackage,
      kp.privatePackage,
      replaceOwnLeaf,
      id.impl,
    );
  } catch (e) {
    mlsRejected(e);
  }
  const state = joined.newState;
  if (state.privatePath.leafIndex > MAX_LEAF_INDEX)
    throw new MlsLayerError('KID_RANGE', 'group grew past the KID layout');
  const baseEpoch = message.groupInfo.groupContext.epoch;
  const gi = await createGroupInfoWithExternalPubAndRatchetTree(state, [], id.impl);
  return {
    state,
    commit: {
      baseEpoch,
      commit: sealMessage(id.keys, 'commit', baseEpoch, {
        wireformat: 'mls_public_message',
        publicMessage: joined.publicMessage,
      }),
      groupInfo: sealMessage(id.keys, 'groupInfo', baseEpoch + 1n, {
        wireformat: 'mls_group_info',
        groupInfo: gi,
      }),
      welcome: null,
    },
  };
}

/** A newcomer waiting for a Welcome: its KeyPackage is what a member adds. */
export class WelcomeJoiner {
  private constructor(
    private readonly id: Identity,
    private readonly kp: { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage },
    /** The sealed KeyPackage to hand to a member (via the relay). */
    readonly keyPackage: Uint8Array,
  ) {}

  static async create(cfg: MemberConfig): Promise<WelcomeJoiner> {
    const id = await makeIdentity(cfg);
    const kp = await keyPackage(id);
    const sealed = sealMessage(id.keys, 'keyPackage', 0n, {
      wireformat: 'mls_key_package',
      keyPackage: kp.publicPackage,
    });
    return new WelcomeJoiner(id, kp, sealed);
  }

  async join(welcomeEnvelope: Uint8Array): Promise<GroupMember> {
    const { message } = openMessage(this.id.keys, welcomeEnvelope);
    if (message.wireformat !== 'mls_welcome')
      throw new MlsLayerError('ENVELOPE_MALFORMED', 'not a Welcome');
    try {
      const state = await joinGroup(
        message.welcome,
        this.kp.publicPackage,
        this.kp.privatePackage,
        emptyPskIndex,
        this.id.impl,
      );
      return new GroupMember(this.id, state);
    } catch (e) {
      mlsRejected(e);
    }
  }
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
