/**
 * Getting into the room's group, and back in step with it, over the server's sequencer: join (make
 * the group when the room has none, else an external commit from the sealed GroupInfo), submit a
 * commit, catch up from the server's commit log after missed commits, and resync by an external
 * commit replacing our own leaf (RFC 9420 §12.4.3.2) when catching up cannot work. MlsSession runs
 * these on its serial queue; nothing here keeps state of its own.
 */
import {
  deriveEnvelopeKeys,
  GroupMember,
  type MemberConfig,
  type SealedCommit,
} from '../../shared/mls/index.js';
import type { RequestName, RequestOf, ResponseOf } from '../../shared/protocol/index.js';
import { createLogger, errorName } from '../util/logger.js';

const log = createLogger('mlsEntry');

/** Attempts at winning an epoch (join, resync) before giving up. */
const MAX_ATTEMPTS = 12;
const GROUP_ID_BYTES = 16;

type MlsRequestName = Extract<RequestName, `mls${string}`>;
export type MlsRequest = <K extends MlsRequestName>(
  name: K,
  request: RequestOf<K>,
) => Promise<ResponseOf<K>>;

export class MlsSessionError extends Error {
  override readonly name = 'MlsSessionError';
  constructor(
    readonly code: 'JOIN_FAILED' | 'LINK_MISMATCH' | 'NOT_JOINED' | 'CHAT_TOO_LONG' | 'CLOSED',
    message: string,
  ) {
    super(message);
  }
}

export function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** Joins (or makes) the room's group; resolves with the member once the server accepted it. */
export async function joinGroup(cfg: MemberConfig, request: MlsRequest): Promise<GroupMember> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const gi = await request('mlsGroupInfo', {});
    if (gi.groupInfo === null) {
      const member = await GroupMember.create(
        cfg,
        crypto.getRandomValues(new Uint8Array(GROUP_ID_BYTES)),
      );
      try {
        await request('mlsCreateGroup', {
          roomPublicKey: deriveEnvelopeKeys(cfg.roomSecret, cfg.roomId).publicKey,
          groupInfo: await member.groupInfo(),
        });
      } catch (err) {
        if (codeOf(err) === 'GROUP_EXISTS') continue;
        throw err;
      }
      return member;
    }
    const { member, commit } = await externalJoin(cfg, gi.groupInfo);
    if (await submitCommit(request, commit)) {
      member.confirm();
      return member;
    }
  }
  throw new MlsSessionError('JOIN_FAILED', 'never won an epoch to join');
}

/**
 * An external join. A GroupInfo that does not open under our link's keys was sealed by someone
 * holding another secret: our link's secret is not the one this room's group was made with (a
 * damaged link of the right length, or a group made first under this room id by someone else).
 */
async function externalJoin(
  cfg: MemberConfig,
  groupInfo: Uint8Array,
): Promise<Awaited<ReturnType<typeof GroupMember.joinExternal>>> {
  try {
    return await GroupMember.joinExternal(cfg, groupInfo);
  } catch (err) {
    if (codeOf(err) === 'ENVELOPE_AUTH_FAILED')
      throw new MlsSessionError('LINK_MISMATCH', 'the room was made with another link secret');
    throw err;
  }
}

/** Sends a commit to the sequencer; false when another commit won the epoch. */
export async function submitCommit(request: MlsRequest, c: SealedCommit): Promise<boolean> {
  try {
    await request('mlsCommit', {
      baseEpoch: Number(c.baseEpoch),
      commit: c.commit,
      groupInfo: c.groupInfo,
      welcome: c.welcome,
    });
    return true;
  } catch (err) {
    const code = codeOf(err);
    if (code === 'STALE_EPOCH' || code === 'FUTURE_EPOCH') return false;
    throw err;
  }
}

/**
 * Behind the room (we missed commits): processes the commits the server logged since our epoch,
 * each verified by MLS as if it had been delivered live, so nobody else has anything to do.
 * `onEpoch` runs after each one (keys of every epoch passed through are installed in turn).
 * 'behind' when the log cannot be read, no longer reaches back, or a logged commit does not take
 * us forward: the caller resyncs.
 */
export async function catchUp(
  member: GroupMember,
  request: MlsRequest,
  onEpoch: () => Promise<void>,
): Promise<'caught-up' | 'removed' | 'behind'> {
  let missed: ResponseOf<'mlsCommitsSince'> = { epoch: null, commits: [] };
  try {
    missed = await request('mlsCommitsSince', { epoch: Number(member.epoch) });
  } catch (err) {
    log.debug('commit log unavailable', { error: errorName(err) });
  }
  for (const envelope of missed.commits) {
    let out;
    try {
      out = await member.process(envelope);
    } catch (err) {
      log.debug('logged commit refused', { error: errorName(err) });
      break;
    }
    if (out.kind === 'removed') return 'removed';
    if (out.kind !== 'advanced') break; // the log does not start at our epoch
    await onEpoch();
  }
  if (missed.epoch !== null && member.epoch >= BigInt(missed.epoch)) return 'caught-up';
  log.debug('catch-up fell short', {
    at: Number(member.epoch),
    room: missed.epoch,
    logged: missed.commits.length,
  });
  return 'behind';
}

/**
 * Replaces our leaf by an external commit from the latest GroupInfo. True when it moved us to a
 * new epoch, false when there was nothing to do (no group, or we caught up meanwhile).
 */
export async function resync(member: GroupMember, request: MlsRequest): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const gi = await request('mlsGroupInfo', {});
    if (gi.groupInfo === null || gi.epoch === null) return false;
    if (BigInt(gi.epoch) <= member.epoch && attempt > 0) return false; // caught up meanwhile
    const c = await member.resync(gi.groupInfo);
    if (await submitCommit(request, c)) {
      member.confirm();
      return true;
    }
    member.discard();
  }
  throw new MlsSessionError('JOIN_FAILED', 'resync never won an epoch');
}
