// The Sequencer for rooms that span nodes: each room's state is one Redis hash, and every
// check-and-write is one Lua script, which Redis runs atomically, so two nodes submitting commits
// for the same epoch cannot both win. Signatures and clear headers are checked in this process
// (Redis only compares epochs and the room key), exactly as InMemorySequencer checks them.
//
//   key  <prefix>mls:{<roomId>}       (braces: one cluster slot per room)
//   pk     the room's envelope public key (32 bytes, fixed for the room's life)
//   epoch  the current epoch, decimal (compared by length, then lexically: exact for any size)
//   gi     the latest sealed GroupInfo, opaque
//   key  <prefix>mls:{<roomId>}:log   a list of the last COMMIT_LOG_LENGTH accepted commits
//
// Every write refreshes the key's expiry (`roomTtlMs`), so a room whose nodes all died does not
// stay in Redis for ever. A Redis that cannot be reached gives UNAVAILABLE at once (no offline
// queue): the client retries, and nothing half-written remains because each write is one script.

import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
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

export interface RedisSequencerOptions {
  /** Prefix of every key (several deployments may share one Redis). */
  readonly keyPrefix?: string;
  readonly maxEnvelopeBytes?: number;
  /** Expiry of a room's state, refreshed by every write. */
  readonly roomTtlMs?: number;
  /** A command that takes longer fails with UNAVAILABLE. */
  readonly commandTimeoutMs?: number;
}

export const DEFAULT_ROOM_TTL_MS = 24 * 60 * 60 * 1000;

// Epochs are decimal strings without leading zeros: shorter is smaller, equal lengths compare
// lexically. Lua numbers are doubles, so tonumber() would be exact only up to 2^53.
const CMP = `local function cmp(a, b)
  if #a ~= #b then if #a < #b then return -1 else return 1 end end
  if a == b then return 0 end
  if a < b then return -1 else return 1 end
end
`;

/** KEYS[1] room, KEYS[2] log; ARGV pk, groupInfo, ttl → {1,'0'} created, or {0, epoch} exists. */
const CREATE = `if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'epoch')}
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'pk', ARGV[1], 'epoch', '0', 'gi', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, '0'}`;

/**
 * KEYS[1] room, KEYS[2] log; ARGV pk, base, next, groupInfo, ttl, commit, log length →
 * {'OK', next} or {code, epoch}.
 */
const COMMIT = `${CMP}local cur = redis.call('HGET', KEYS[1], 'epoch')
if not cur or redis.call('HGET', KEYS[1], 'pk') ~= ARGV[1] then return {'NO_GROUP', ''} end
local c = cmp(ARGV[2], cur)
if c < 0 then return {'STALE_EPOCH', cur} end
if c > 0 then return {'FUTURE_EPOCH', cur} end
redis.call('HSET', KEYS[1], 'epoch', ARGV[3], 'gi', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('RPUSH', KEYS[2], ARGV[6])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[7]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {'OK', ARGV[3]}`;

/** KEYS[1] room; ARGV pk, epoch, groupInfo, ttl → {'OK', epoch} or {code, epoch}. */
const PUBLISH = `${CMP}local cur = redis.call('HGET', KEYS[1], 'epoch')
if not cur or redis.call('HGET', KEYS[1], 'pk') ~= ARGV[1] then return {'NO_GROUP', ''} end
local c = cmp(ARGV[2], cur)
if c < 0 then return {'STALE_EPOCH', cur} end
if c > 0 then return {'FUTURE_EPOCH', cur} end
redis.call('HSET', KEYS[1], 'gi', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'OK', cur}`;

type ScriptReply = [string | number, string];

export class RedisSequencer implements Sequencer {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly maxEnvelopeBytes: number;
  private readonly ttl: string;

  /** Connects to `url` (redis:// or rediss://); call `close()` when done. */
  constructor(url: string, options: RedisSequencerOptions = {}) {
    this.prefix = options.keyPrefix ?? 'blindcall:';
    this.maxEnvelopeBytes = options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
    this.ttl = String(options.roomTtlMs ?? DEFAULT_ROOM_TTL_MS);
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      lazyConnect: true,
    });
    // Connection errors surface as UNAVAILABLE results; ioredis keeps reconnecting.
    this.redis.on('error', () => undefined);
  }

  /** Resolves once connected (rejects if Redis cannot be reached). */
  async connect(): Promise<void> {
    await this.redis.connect();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  async createGroup(roomId: string, req: CreateGroupRequest): Promise<SequencerResult> {
    const problem =
      !(req.roomPublicKey instanceof Uint8Array) || req.roomPublicKey.length !== 32
        ? { code: 'BAD_ENVELOPE' as const, message: 'room public key must be 32 bytes' }
        : checkEnvelope(req.groupInfo, req.roomPublicKey, 'groupInfo', 0n, this.maxEnvelopeBytes);
    return this.guard(async () => {
      if (problem !== null) {
        // As in InMemorySequencer, an existing group is reported before a bad request.
        const epoch = await this.redis.hget(this.key(roomId), 'epoch');
        if (epoch !== null)
          return refuse('GROUP_EXISTS', 'the room already has a group', BigInt(epoch));
        return refuse(problem.code, problem.message, null);
      }
      const [created, epoch] = (await this.script(CREATE, roomId, [
        Buffer.from(req.roomPublicKey),
        Buffer.from(req.groupInfo),
        this.ttl,
      ])) as ScriptReply;
      return created === 1
        ? { ok: true, epoch: 0n }
        : refuse('GROUP_EXISTS', 'the room already has a group', BigInt(epoch));
    });
  }

  async submitCommit(roomId: string, req: CommitRequest): Promise<SequencerResult> {
    return this.guard(async () => {
      const room = await this.room(roomId);
      if (room === null) return refuse('NO_GROUP', 'the room has no group', null);
      if (typeof req.baseEpoch !== 'bigint' || req.baseEpoch < 0n)
        return refuse('BAD_ENVELOPE', 'base epoch must be a non-negative bigint', room.epoch);
      const max = this.maxEnvelopeBytes;
      const bad =
        checkEnvelope(req.commit, room.publicKey, 'commit', req.baseEpoch, max) ??
        checkEnvelope(req.groupInfo, room.publicKey, 'groupInfo', req.baseEpoch + 1n, max);
      if (bad !== null) return refuse(bad.code, bad.message, room.epoch);
      const reply = (await this.script(COMMIT, roomId, [
        Buffer.from(room.publicKey),
        req.baseEpoch.toString(),
        (req.baseEpoch + 1n).toString(),
        Buffer.from(req.groupInfo),
        this.ttl,
        Buffer.from(req.commit),
        String(COMMIT_LOG_LENGTH),
      ])) as ScriptReply;
      return outcome(reply, `epoch ${req.baseEpoch} already has a commit`);
    });
  }

  async publishGroupInfo(
    roomId: string,
    epoch: bigint,
    groupInfo: Uint8Array,
  ): Promise<SequencerResult> {
    return this.guard(async () => {
      const room = await this.room(roomId);
      if (room === null) return refuse('NO_GROUP', 'the room has no group', null);
      const bad = checkEnvelope(
        groupInfo,
        room.publicKey,
        'groupInfo',
        epoch,
        this.maxEnvelopeBytes,
      );
      if (bad !== null) return refuse(bad.code, bad.message, room.epoch);
      const reply = (await this.script(PUBLISH, roomId, [
        Buffer.from(room.publicKey),
        epoch.toString(),
        Buffer.from(groupInfo),
        this.ttl,
      ])) as ScriptReply;
      return outcome(reply, `the room is at epoch ${reply[1]}`);
    });
  }

  /** Rejects when Redis cannot be reached (not the same as "no group"). */
  async groupInfo(roomId: string): Promise<GroupInfoRecord | null> {
    const [epoch, gi] = await this.redis.hmgetBuffer(this.key(roomId), 'epoch', 'gi');
    if (!epoch || !gi) return null;
    return { epoch: BigInt(epoch.toString()), groupInfo: new Uint8Array(gi) };
  }

  /** Rejects when Redis cannot be reached. The epoch and the log are read in one transaction. */
  async commitsSince(roomId: string, since: bigint): Promise<CommitLog | null> {
    const replies = await this.redis
      .multi()
      .hgetBuffer(this.key(roomId), 'epoch')
      .lrangeBuffer(this.logKey(roomId), 0, -1)
      .exec();
    if (replies === null) throw new Error('the transaction was aborted');
    for (const [err] of replies) if (err) throw err;
    const epoch = replies[0]![1] as Buffer | null;
    if (epoch === null) return null;
    const current = BigInt(epoch.toString());
    const log = (replies[1]![1] as Buffer[]).map((b) => new Uint8Array(b));
    return { epoch: current, commits: logSince(log, current, since) };
  }

  async verify(roomId: string, envelope: Uint8Array): Promise<boolean> {
    try {
      const pk = await this.redis.hgetBuffer(this.key(roomId), 'pk');
      return pk !== null && signedByRoom(envelope, new Uint8Array(pk), this.maxEnvelopeBytes);
    } catch {
      return false; // cannot check, so do not relay
    }
  }

  async deleteRoom(roomId: string): Promise<void> {
    await this.redis.del(this.key(roomId), this.logKey(roomId));
  }

  private key(roomId: string): string {
    return `${this.prefix}mls:{${roomId}}`;
  }

  private logKey(roomId: string): string {
    return `${this.key(roomId)}:log`;
  }

  private async room(roomId: string): Promise<{ publicKey: Uint8Array; epoch: bigint } | null> {
    const [pk, epoch] = await this.redis.hmgetBuffer(this.key(roomId), 'pk', 'epoch');
    if (!pk || !epoch) return null;
    return { publicKey: new Uint8Array(pk), epoch: BigInt(epoch.toString()) };
  }

  /** EVALSHA, loading the script on first use (Redis keeps scripts until restarted). */
  private async script(lua: string, roomId: string, args: (string | Buffer)[]): Promise<unknown> {
    const sha = createHash('sha1').update(lua).digest('hex');
    try {
      return await this.redis.evalsha(sha, 2, this.key(roomId), this.logKey(roomId), ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.redis.eval(lua, 2, this.key(roomId), this.logKey(roomId), ...args);
    }
  }

  /** Any Redis failure (down, timeout) becomes UNAVAILABLE; each write is one script, so none is half-done. */
  private async guard(run: () => Promise<SequencerResult>): Promise<SequencerResult> {
    try {
      return await run();
    } catch {
      return refuse('UNAVAILABLE', 'the room state cannot be reached; try again', null);
    }
  }
}

function outcome(reply: ScriptReply, staleMessage: string): SequencerResult {
  const [code, epoch] = reply;
  if (code === 'OK') return { ok: true, epoch: BigInt(epoch) };
  if (code === 'NO_GROUP') return refuse('NO_GROUP', 'the room has no group', null);
  const current = BigInt(epoch);
  if (code === 'STALE_EPOCH') return refuse('STALE_EPOCH', staleMessage, current);
  return refuse('FUTURE_EPOCH', `the room is at epoch ${current}`, current);
}

function refuse(code: SequencerErrorCode, message: string, epoch: bigint | null): SequencerResult {
  return { ok: false, code, message, epoch };
}
