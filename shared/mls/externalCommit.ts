// External commits (RFC 9420 §12.4.3.2): how a newcomer joins from the sealed GroupInfo the
// server keeps, and how a member that fell behind resyncs by replacing its own leaf. Also the
// shape of every commit handed to the sequencer.

import {
  createGroupInfoWithExternalPubAndRatchetTree,
  joinGroupExternal,
  type ClientState,
  type GroupInfo,
} from 'ts-mls';
// Not re-exported from the package root; the package's `./*.js` export map makes it public.
import { ratchetTreeFromExtension } from 'ts-mls/groupInfo.js';
import { equalBytes } from '@noble/curves/utils.js';
import { openMessage, sealMessage } from './codec.js';
import { MlsLayerError } from './errors.js';
import { keyPackage, mlsRejected, type Identity } from './memberIdentity.js';
import { MAX_LEAF_INDEX } from './sframeKeys.js';

/** What a committer hands to the sequencer: the commit and the GroupInfo of the epoch it makes. */
export interface SealedCommit {
  readonly baseEpoch: bigint;
  readonly commit: Uint8Array;
  readonly groupInfo: Uint8Array;
  /** For members added by KeyPackage; null when the commit adds nobody. */
  readonly welcome: Uint8Array | null;
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
export async function externalCommit(
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
