// An in-memory room for KeyAgent simulations: a relay that can drop, duplicate, reorder, record,
// inject and rewrite messages, a manual clock, and members that apply the agent's effects to a real
// SFrameContext (as the web client's frame worker would).
import { KeyAgent, type AgentEffect } from '../../../../shared/e2ee/index.js';
import { SFrameContext, SFrameError } from '../../../../shared/sframe/index.js';
import { Rng } from './rng.js';

export interface InFlight {
  readonly from: string;
  readonly to: string;
  readonly payload: Uint8Array;
}

export interface NetPolicy {
  drop: number;
  duplicate: number;
  reorder: boolean;
}

export const RELIABLE: NetPolicy = { drop: 0, duplicate: 0, reorder: false };

export class Member {
  readonly ctx = new SFrameContext();
  readonly effects: AgentEffect[] = [];
  agentOpen = true;

  constructor(
    readonly id: string,
    readonly agent: KeyAgent,
  ) {}

  async apply(effects: AgentEffect[], world: World): Promise<void> {
    for (const e of effects) {
      this.effects.push(e);
      switch (e.type) {
        case 'send':
          world.enqueue(this.id, e.to, e.payload);
          break;
        case 'localKeyChanged':
          await this.ctx.setSenderKey(e.kid, e.keyBytes);
          break;
        case 'remoteKeyAdded':
          await this.ctx.addReceiverKey(e.kid, e.keyBytes, e.peerId);
          break;
        case 'remoteKeyRemoved':
          this.ctx.removeReceiverKey(e.kid, e.peerId);
          break;
        case 'rosterChanged':
        case 'securityCodeChanged':
        case 'chat':
        case 'warning':
        case 'closed':
          break;
        default: {
          const _: never = e;
          throw new Error(`unhandled effect ${String(_)}`);
        }
      }
    }
  }

  warnings(code: string): number {
    return this.effects.filter((e) => e.type === 'warning' && e.code === code).length;
  }

  rosterIds(): string[] {
    return this.agent
      .roster()
      .map((r) => r.peerId)
      .sort();
  }
}

export class World {
  now = 0;
  readonly clock = { now: (): number => this.now };
  readonly members = new Map<string, Member>();
  /** Members that left: their SFrameContext is kept to check what they can still decrypt. */
  readonly departed = new Map<string, Member>();
  queue: InFlight[] = [];
  private head = 0;
  policy: NetPolicy = { ...RELIABLE };
  /** Every message ever relayed, for replay attacks. */
  readonly recorded: InFlight[] = [];
  /** Adversary hook: return null to drop, or a (possibly rewritten) message. */
  intercept: ((m: InFlight) => InFlight | null) | null = null;
  readonly rng: Rng;
  readonly roomSecret: Uint8Array;
  private nextId = 0;

  constructor(
    seed: number,
    readonly roomId = 'room-1',
    readonly options: ConstructorParameters<typeof KeyAgent>[0]['options'] = {},
  ) {
    this.rng = new Rng(seed);
    this.roomSecret = this.rng.bytes(32);
  }

  enqueue(from: string, to: string | null, payload: Uint8Array): void {
    const targets = to === null ? [...this.members.keys()].filter((id) => id !== from) : [to];
    for (const t of targets) {
      const m = { from, to: t, payload };
      this.recorded.push(m);
      this.queue.push(m);
    }
  }

  newAgent(id: string, identity?: Uint8Array, roomSecret = this.roomSecret): KeyAgent {
    return new KeyAgent({
      roomId: this.roomId,
      selfPeerId: id,
      roomSecret,
      identity: identity ?? this.rng.bytes(32),
      displayName: `Member ${id}`,
      clock: this.clock,
      random: this.rng.bytes,
      options: this.options,
    });
  }

  /** A member joins: server events go to everyone (honest server). */
  async join(id = `p${this.nextId++}`, agent?: KeyAgent): Promise<Member> {
    const m = new Member(id, agent ?? this.newAgent(id));
    const existing = [...this.members.values()];
    this.members.set(id, m);
    await m.apply(await m.agent.start(), this);
    for (const o of existing) {
      await o.apply(await o.agent.handlePeerJoined(id), this);
      await m.apply(await m.agent.handlePeerJoined(o.id), this);
    }
    return m;
  }

  async leave(id: string): Promise<void> {
    const m = this.members.get(id);
    if (m === undefined) return;
    this.members.delete(id);
    this.departed.set(id, m);
    await m.agent.close();
    m.agentOpen = false;
    for (const o of this.members.values()) await o.apply(await o.agent.handlePeerLeft(id), this);
  }

  /** Delivers one message (random one if reordering), applying the network policy. */
  /** Undelivered messages. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  async deliverOne(): Promise<boolean> {
    if (this.pending === 0) return false;
    if (this.policy.reorder && this.head > 0) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    let msg: InFlight | null;
    if (this.policy.reorder) {
      const i = this.rng.int(this.queue.length);
      msg = this.queue[i]!;
      this.queue[i] = this.queue[this.queue.length - 1]!;
      this.queue.pop();
    } else {
      msg = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
    if (this.rng.next() < this.policy.drop) return true;
    if (this.rng.next() < this.policy.duplicate) this.queue.push(msg);
    if (this.intercept !== null) msg = this.intercept(msg);
    if (msg === null) return true;
    const target = this.members.get(msg.to);
    if (target === undefined) return true;
    await target.apply(await target.agent.handleRelay(msg.from, msg.payload), this);
    return true;
  }

  async deliverAll(limit = 1_000_000): Promise<void> {
    for (let i = 0; i < limit && (await this.deliverOne()); i++);
  }

  async tickAll(advanceMs: number): Promise<number> {
    this.now += advanceMs;
    const before = this.queue.length;
    for (const m of this.members.values()) await m.apply(await m.agent.tick(), this);
    return this.queue.length - before;
  }

  /** Reliable delivery and ticking until nothing was sent for `quietMs` of simulated time. */
  async settle(quietMs = 8000, stepMs = 250, maxMs = 600_000): Promise<void> {
    const saved = this.policy;
    this.policy = { ...RELIABLE };
    let quiet = 0;
    const start = this.now;
    while (quiet < quietMs) {
      if (this.now - start > maxMs) throw new Error('simulation did not settle');
      await this.deliverAll();
      const sent = await this.tickAll(stepMs);
      quiet = sent === 0 && this.pending === 0 ? quiet + stepMs : 0;
    }
    this.policy = saved;
  }

  /** Encrypts one frame per member; returns who sent which frame. */
  async frames(): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (const m of this.members.values()) {
      out.set(m.id, await m.ctx.encrypt(this.rng.bytes(40), 'opus'));
    }
    return out;
  }
}

/** Tries to decrypt; returns the sender owner or the error code. */
export async function tryDecrypt(ctx: SFrameContext, frame: Uint8Array): Promise<string> {
  try {
    return `ok:${(await ctx.decrypt(frame, 'opus')).owner}`;
  } catch (e) {
    if (e instanceof SFrameError) return e.code;
    throw e;
  }
}

/** Every current member decrypts a fresh frame of every other current member, attributed to it. */
export async function allDecryptAll(world: World): Promise<string[]> {
  const failures: string[] = [];
  const frames = await world.frames();
  for (const [sender, frame] of frames) {
    for (const r of world.members.values()) {
      if (r.id === sender) continue;
      const res = await tryDecrypt(r.ctx, frame);
      if (res !== `ok:${sender}`) failures.push(`${r.id} <- ${sender}: ${res}`);
    }
  }
  return failures;
}
