// An in-memory room for MLS simulations: the real InMemorySequencer, a relay that can drop,
// duplicate and reorder deliveries, a manual clock, and members that drive GroupMember,
// ChangeQueue, Liveness and EpochKeys over a real SFrameContext, as the client will.
import { bytesToHex as toHex, randomBytes } from '@noble/hashes/utils.js';
import { InMemorySequencer } from '../../../../sfu/mls/InMemorySequencer.js';
import {
  ChangeQueue,
  committerRank,
  deriveEnvelopeKeys,
  EpochKeys,
  GroupMember,
  Liveness,
  MlsLayerError,
  type RosterEntry,
  type SealedCommit,
  WelcomeJoiner,
} from '../../../../shared/mls/index.js';
import { SFrameContext } from '../../../../shared/sframe/index.js';
import { Rng } from './rng.js';

export interface NetPolicy {
  drop: number;
  duplicate: number;
  reorder: boolean;
  /** The server's commit log cannot be read (a store failover): lagging members must resync. */
  noLog?: boolean;
}
export const RELIABLE: NetPolicy = { drop: 0, duplicate: 0, reorder: false };
export const LIVENESS_MS = 10_000;
const STEP_MS = 50;

export class SimMember {
  readonly ctx = new SFrameContext({ ratchetWindow: 0 });
  readonly keys = new EpochKeys(this.ctx);
  readonly queue = new ChangeQueue();
  readonly liveness = new Liveness(LIVENESS_MS);
  readonly inbox: Uint8Array[] = [];
  member: GroupMember | null = null;
  /** Quiet points (indices) this member was in the group for. */
  readonly presentAt = new Set<number>();
  connected = true;
  /** Silent: still "connected" for the server, but sends and answers nothing. */
  frozen = false;

  constructor(readonly name: string) {}

  get leaf(): number {
    return this.member!.leafIndex;
  }
}

export interface RecordedFrame {
  readonly quiet: number;
  readonly sender: string;
  readonly frame: Uint8Array;
}

export class MlsWorld {
  readonly roomId = 'sim-room';
  readonly secret = randomBytes(32);
  readonly seq = new InMemorySequencer();
  readonly rng: Rng;
  readonly members = new Map<string, SimMember>();
  readonly former: SimMember[] = [];
  readonly frames: RecordedFrame[] = [];
  private readonly inFlight: { to: string; env: Uint8Array }[] = [];
  now = 0;
  quietPoints = 0;
  net: NetPolicy = RELIABLE;
  /** A malicious relay's filter: true withholds the delivery. */
  withhold: ((to: string, env: Uint8Array) => boolean) | null = null;
  /** A malicious server's rewrite of the commit log it returns to a member catching up. */
  tamperLog: ((commits: readonly Uint8Array[]) => Uint8Array[]) | null = null;
  /** Every commit the sequencer accepted, in order (what a recording relay keeps). */
  readonly acceptedCommits: Uint8Array[] = [];
  deliveries = 0;
  bytesRelayed = 0;
  refusedCommits = 0;
  resyncs = 0;
  /** Lagging members that caught up from the server's commit log. */
  catchUps = 0;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  cfg(name: string) {
    return {
      roomId: this.roomId,
      roomSecret: this.secret,
      identity: new TextEncoder().encode(name),
    };
  }

  async create(name: string): Promise<SimMember> {
    const m = new SimMember(name);
    m.member = await GroupMember.create(this.cfg(name), randomBytes(16));
    const res = await this.seq.createGroup(this.roomId, {
      roomPublicKey: deriveEnvelopeKeys(this.secret, this.roomId).publicKey,
      groupInfo: await m.member.groupInfo(),
    });
    if (!res.ok) throw new Error(`create refused: ${res.code}`);
    this.members.set(name, m);
    await this.installCurrent(m);
    return m;
  }

  /** A newcomer joins by external commit, retrying on STALE_EPOCH as the client will. */
  async join(name: string): Promise<SimMember> {
    const m = new SimMember(name);
    for (let attempt = 0; attempt < 20; attempt++) {
      const gi = await this.seq.groupInfo(this.roomId);
      if (gi === null) throw new Error('no group');
      const { member, commit } = await GroupMember.joinExternal(this.cfg(name), gi.groupInfo);
      if (await this.submit(name, commit)) {
        member.confirm();
        m.member = member;
        this.members.set(name, m);
        await this.installCurrent(m);
        return m;
      }
    }
    throw new Error('join never won an epoch');
  }

  /**
   * Many newcomers at once by Welcome: each publishes a sealed KeyPackage, the lowest leaf commits
   * one Add per KeyPackage, and the Welcome goes to each newcomer (one delivery each).
   */
  async bulkAdd(names: readonly string[]): Promise<void> {
    const joiners = await Promise.all(names.map((n) => WelcomeJoiner.create(this.cfg(n))));
    const committer = [...this.members.values()].sort((a, b) => a.leaf - b.leaf)[0]!;
    const c = await committer.member!.commit({ add: joiners.map((j) => j.keyPackage) });
    if (!(await this.submit(committer.name, c))) throw new Error('bulk add refused');
    committer.member!.confirm();
    await this.installCurrent(committer);
    for (let i = 0; i < names.length; i++) {
      this.deliveries++;
      this.bytesRelayed += c.welcome!.length;
      const m = new SimMember(names[i]!);
      m.member = await joiners[i]!.join(c.welcome!);
      this.members.set(m.name, m);
      await this.installCurrent(m);
    }
  }

  /**
   * A newcomer by Welcome: its sealed KeyPackage is relayed to every member (one delivery each),
   * whose queues coalesce it with whatever else is pending; the Welcome reaches it when the
   * designated committer's commit wins. Call `quiesce()` after.
   */
  async requestJoin(name: string): Promise<void> {
    const joiner = await WelcomeJoiner.create(this.cfg(name));
    const key = toHex(new TextEncoder().encode(name));
    this.joiners.set(name, joiner);
    for (const o of this.members.values()) {
      this.deliveries++;
      this.bytesRelayed += joiner.keyPackage.length;
      o.queue.add(joiner.keyPackage, key, this.now);
    }
  }

  /** Newcomers whose Welcome arrives with an accepted commit. */
  private readonly joiners = new Map<string, WelcomeJoiner>();

  private async welcome(c: SealedCommit): Promise<void> {
    if (c.welcome === null) return;
    for (const [name, joiner] of [...this.joiners]) {
      this.deliveries++;
      this.bytesRelayed += c.welcome.length;
      let member: GroupMember;
      try {
        member = await joiner.join(c.welcome);
      } catch {
        continue; // not for this newcomer
      }
      this.joiners.delete(name);
      const m = new SimMember(name);
      m.member = member;
      this.members.set(name, m);
      await this.installCurrent(m);
    }
  }

  /** The server's peerLeft hint: the peer is gone and every member queues its removal. */
  leave(name: string): void {
    const m = this.members.get(name)!;
    const entry = rosterOf(m.member!).find((r) => r.leafIndex === m.leaf)!;
    this.disconnect(m);
    for (const o of this.members.values()) o.queue.remove(entry, this.now);
  }

  /** Gone without a word (no hint): the liveness timeout must remove it. */
  freeze(name: string): void {
    this.members.get(name)!.frozen = true;
  }

  private disconnect(m: SimMember): void {
    m.connected = false;
    this.members.delete(m.name);
    this.former.push(m);
  }

  /** Relays one envelope to `to`, under the network policy. */
  relay(to: string, env: Uint8Array): void {
    if (this.withhold !== null && this.withhold(to, env)) return;
    if (this.rng.next() < this.net.drop) return;
    const copies = this.rng.next() < this.net.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.deliveries++;
      this.bytesRelayed += env.length;
      this.inFlight.push({ to, env });
    }
  }

  /** Sends a commit to the sequencer; on acceptance relays it to every other member. */
  async submit(from: string, c: SealedCommit): Promise<boolean> {
    const res = await this.seq.submitCommit(this.roomId, c);
    if (!res.ok) {
      this.refusedCommits++;
      return false;
    }
    this.acceptedCommits.push(c.commit);
    for (const o of this.members.values())
      if (o.name !== from && o.connected) this.relay(o.name, c.commit);
    return true;
  }

  private async installCurrent(m: SimMember): Promise<void> {
    const member = m.member!;
    const base = await member.sframeBaseKey();
    const leaves = member.members().map((x) => x.leafIndex);
    await m.keys.install(member.epoch, base, leaves, member.leafIndex, this.now);
    base.fill(0);
    m.liveness.sync(leaves, member.leafIndex, this.now);
    m.queue.settle(rosterOf(member), member.leafIndex);
  }

  /** Delivers one envelope straight to a member, bypassing the sequencer (an injecting relay). */
  inject(to: string, env: Uint8Array): void {
    this.inFlight.push({ to, env });
  }

  async deliverAll(): Promise<void> {
    while (this.inFlight.length > 0) {
      const i = this.net.reorder ? this.rng.int(this.inFlight.length) : 0;
      const { to, env } = this.inFlight.splice(i, 1)[0]!;
      const m = this.members.get(to);
      if (m === undefined || m.frozen) continue;
      m.inbox.push(env);
      await this.drain(m);
    }
  }

  /** Processes what a member can; future-epoch messages wait in its inbox. */
  private async drain(m: SimMember): Promise<void> {
    let progress = true;
    while (progress && m.member !== null && m.member.active) {
      progress = false;
      for (let i = 0; i < m.inbox.length; i++) {
        try {
          const out = await m.member.process(m.inbox[i]!);
          m.inbox.splice(i, 1);
          if (out.kind === 'advanced') await this.installCurrent(m);
          progress = true;
          break;
        } catch (e) {
          if (e instanceof MlsLayerError && e.code === 'FUTURE_EPOCH') continue;
          m.inbox.splice(i, 1); // refused: counted by the test through state, never applied
          progress = true;
          break;
        }
      }
    }
    if (m.member !== null && !m.member.active) this.disconnect(m);
  }

  /** One clock step: timers, liveness, coalesced commits, deliveries, resyncs. */
  async step(): Promise<void> {
    this.now += STEP_MS;
    for (const m of [...this.members.values()]) {
      if (m.frozen || m.member === null) continue;
      await m.keys.tick(this.now);
      for (const o of this.members.values())
        if (!o.frozen && o.member !== null && o !== m) m.liveness.seen(o.leaf, this.now);
      const roster = rosterOf(m.member);
      for (const leaf of m.liveness.expired(this.now)) {
        const entry = roster.find((r) => r.leafIndex === leaf);
        if (entry !== undefined) m.queue.remove(entry, this.now);
      }
    }
    const sorted = [...this.members.values()].filter((m) => !m.frozen && m.member !== null);
    for (const m of sorted) {
      if (m.queue.empty || !this.members.has(m.name)) continue;
      const leaves = m.member!.members().map((x) => x.leafIndex);
      const rank = committerRank(m.leaf, leaves, m.queue.pendingRemovals());
      if (!m.queue.due(this.now, rank)) continue;
      const changes = m.queue.take();
      const c = await m.member!.commit(changes);
      if (await this.submit(m.name, c)) {
        m.member!.confirm();
        await this.installCurrent(m);
        await this.welcome(c);
      } else {
        m.member!.discard();
        changes.undo(this.now);
      }
    }
    await this.deliverAll();
    await this.recoverLagging();
  }

  /**
   * A member behind the server's epoch (it missed a commit) catches up from the server's commit
   * log, as the client does (mlsCommitsSince); when the log cannot help, it resyncs by external
   * commit. Anything left in its inbox is then processed, or dropped as unreachable.
   */
  private async recoverLagging(): Promise<void> {
    const gi = await this.seq.groupInfo(this.roomId);
    if (gi === null) return;
    for (const m of [...this.members.values()]) {
      if (m.frozen || m.member === null || m.member.epoch >= gi.epoch) continue;
      if (await this.catchUp(m)) {
        this.catchUps++;
        if (this.members.has(m.name)) await this.drain(m);
        continue;
      }
      const c = await m.member.resync(gi.groupInfo);
      if (await this.submit(m.name, c)) {
        m.member.confirm();
        m.inbox.length = 0;
        this.resyncs++;
        await this.installCurrent(m);
      } else {
        m.member.discard();
      }
    }
    for (const m of this.members.values()) if (m.inbox.length > 0 && !m.frozen) m.inbox.length = 0;
  }

  /** Processes the logged commits since `m`'s epoch; true when that brought it to the server's. */
  private async catchUp(m: SimMember): Promise<boolean> {
    if (this.net.noLog === true) return false;
    const log = await this.seq.commitsSince(this.roomId, m.member!.epoch);
    if (log === null || log.commits.length === 0) return false;
    const commits = this.tamperLog === null ? log.commits : this.tamperLog(log.commits);
    for (const c of commits) {
      this.deliveries++;
      this.bytesRelayed += c.length;
      let out;
      try {
        out = await m.member!.process(c);
      } catch {
        return false;
      }
      if (out.kind === 'removed') {
        this.disconnect(m);
        return true;
      }
      if (out.kind !== 'advanced') return false;
      await this.installCurrent(m);
    }
    return m.member!.epoch >= log.epoch;
  }

  /** Runs until nothing is in flight, no change is queued and everyone is on the server's epoch. */
  async quiesce(maxSteps = 2000): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      await this.step();
      const gi = await this.seq.groupInfo(this.roomId);
      const live = [...this.members.values()].filter((m) => !m.frozen);
      const frozen = [...this.members.values()].filter((m) => m.frozen);
      const settled =
        this.inFlight.length === 0 &&
        frozen.length === 0 &&
        live.every((m) => m.queue.empty && m.member!.epoch === gi!.epoch);
      if (settled) {
        for (const m of live) await m.keys.markAllReady(gi!.epoch);
        this.quietPoints++;
        for (const m of live) m.presentAt.add(this.quietPoints);
        return;
      }
      // frozen members are dropped by the server once the group removed them
      for (const f of frozen) {
        // By leaf *and* credential: a removed member's leaf may already hold a newcomer.
        const key = toHex(new TextEncoder().encode(f.name));
        const stillIn = live.some((m) =>
          m.member!.members().some((x) => x.leafIndex === f.leaf && toHex(x.identity) === key),
        );
        if (!stillIn) this.disconnect(f);
      }
    }
    const gi = await this.seq.groupInfo(this.roomId);
    const state = [...this.members.values()].map(
      (m) =>
        `${m.name}@${m.member!.epoch}${m.frozen ? ' frozen' : ''}${m.queue.empty ? '' : ' queued'} leaf ${m.leaf} roster ${m.member!.members().length}`,
    );
    throw new Error(`the room never became quiet (server epoch ${gi?.epoch}): ${state.join('; ')}`);
  }

  /** Every current member sends one frame; recorded for later checks. Returns them. */
  async sendFrames(
    senders: readonly SimMember[] = [...this.members.values()],
  ): Promise<RecordedFrame[]> {
    const out: RecordedFrame[] = [];
    for (const m of senders) {
      const frame = await m.ctx.encrypt(
        new TextEncoder().encode(`frame of ${m.name} at ${this.quietPoints}`),
      );
      const r = { quiet: this.quietPoints, sender: m.name, frame };
      this.frames.push(r);
      out.push(r);
    }
    return out;
  }
}

export function rosterOf(member: GroupMember): RosterEntry[] {
  return member.members().map((x) => ({ leafIndex: x.leafIndex, key: toHex(x.identity) }));
}

/** True when `m` decrypts `frame`. */
export async function opens(m: SimMember, frame: Uint8Array): Promise<boolean> {
  try {
    await m.ctx.decrypt(frame);
    return true;
  } catch {
    return false;
  }
}
