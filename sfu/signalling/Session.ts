/**
 * One socket.io connection: validates every incoming event against its schema, applies the
 * per-socket rate limit, dispatches to the typed handler map, and acknowledges with
 * `{ ok, data } | { ok: false, error }`. Holds the connection's state:
 * connected → joining → joined (room + peer) → connected (after leave) … → closed.
 *
 * Two more bounds live here: the relay fan-out budget (payload bytes × recipients per second),
 * and backpressure: a socket that stops reading while its queue of unsent messages reaches
 * `maxQueued` is closed (BACKPRESSURE), so one stalled client cannot grow the server's memory.
 */
import type { Socket } from 'socket.io';
import type { types } from 'mediasoup';
import { NotFoundError, WorkerClosedError } from 'mediasoup/errors';
import type {
  Ack,
  ClientToServerEvents,
  NotificationName,
  NotificationOf,
  ServerToClientEvents,
} from '../../shared/protocol/index.js';
import { isRequestName, ProtocolError, requests, validate } from '../../shared/protocol/index.js';
import type { TurnConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { SessionMetrics } from '../metrics.js';
import type { MlsRelay } from '../mls/MlsRelay.js';
import type { Faults } from '../testing/Faults.js';
import type { Peer, PeerCloseReason } from '../rooms/Peer.js';
import type { Room } from '../rooms/Room.js';
import type { RoomRegistry } from '../rooms/RoomRegistry.js';
import { handlers, type Handler } from './handlers.js';
import { RateLimiter } from './RateLimiter.js';

export type SfuSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export interface SessionDeps {
  registry: RoomRegistry;
  routerRtpCapabilities: types.RtpCapabilities;
  rateLimit: { perSecond: number; burst: number };
  /** Relay payload bytes × recipients per second per peer, and the burst. */
  relayBudget: { perSecond: number; burst: number };
  /** Unsent messages a socket may queue before it is closed (BACKPRESSURE). */
  maxQueued: number;
  log: Logger;
  /** The room's MLS sequencer and relay (one per server). */
  mls: MlsRelay;
  /** TEST-ONLY (sfu/testing/Faults.ts); null in production. */
  faults?: Faults | null;
  /** TURN servers whose credentials joining peers get; null or absent: none. */
  turn?: TurnConfig | null;
  metrics: SessionMetrics;
}

type State =
  | { name: 'connected' }
  | { name: 'joining' }
  | { name: 'joined'; room: Room; peer: Peer; offClose: () => void }
  | { name: 'closed' };

export class Session {
  readonly registry: RoomRegistry;
  readonly routerRtpCapabilities: types.RtpCapabilities;
  readonly faults: Faults | null;
  readonly turn: TurnConfig | null;
  readonly metrics: SessionMetrics;
  readonly mls: MlsRelay;
  log: Logger;
  private state: State = { name: 'connected' };
  private readonly limiter: RateLimiter;
  private readonly relayLimiter: RateLimiter;
  private readonly maxQueued: number;
  private overflowed = false;
  /**
   * Packets engine.io holds for this socket that its transport has not taken yet: each one is
   * created into the write buffer, and a flush hands the whole buffer to the transport, which
   * takes it only once the previous write has gone out. A reader that stopped lets it grow.
   */
  private queued = 0;

  constructor(
    private readonly socket: SfuSocket,
    deps: SessionDeps,
  ) {
    this.registry = deps.registry;
    this.routerRtpCapabilities = deps.routerRtpCapabilities;
    this.faults = deps.faults ?? null;
    this.turn = deps.turn ?? null;
    this.metrics = deps.metrics;
    this.mls = deps.mls;
    this.log = deps.log.child({ socketId: socket.id });
    this.limiter = new RateLimiter(deps.rateLimit.perSecond, deps.rateLimit.burst);
    this.relayLimiter = new RateLimiter(deps.relayBudget.perSecond, deps.relayBudget.burst);
    this.maxQueued = deps.maxQueued;
    socket.conn.on('packetCreate', () => this.queued++);
    socket.conn.on('flush', (buffer: readonly unknown[]) => {
      this.queued = Math.max(0, this.queued - buffer.length);
    });
    // A raw socket.io packet can name its event with any JSON value, not only a string.
    socket.onAny((event: unknown, ...args: unknown[]) => {
      this.dispatch(event, args).catch((err: unknown) =>
        this.log.error('dispatch failed', err, { event: String(event).slice(0, 64) }),
      );
    });
    socket.on('disconnect', (reason) => {
      this.log.debug('socket disconnected', { reason });
      this.close();
    });
  }

  /** Sends a server→client notification to this socket. */
  readonly notify = <K extends NotificationName>(name: K, message: NotificationOf<K>): void => {
    if (this.overflowed) return;
    if (this.queued >= this.maxQueued) {
      this.overflow();
      return;
    }
    // socket.io's typed emit cannot relate a generic K to its listener's parameters.
    (this.socket.emit as (ev: string, msg: unknown) => boolean)(name, message);
  };

  /** False once the socket has gone away (asked by a join that waited). */
  get open(): boolean {
    return this.state.name !== 'closed';
  }

  /**
   * Charges a relay's fan-out (envelope bytes × recipients: MLS messages and commits) to this
   * peer's budget; RELAY_LIMITED (charging nothing) when it is spent.
   */
  chargeRelay(bytes: number): void {
    if (!this.relayLimiter.take(bytes)) {
      throw new ProtocolError('RELAY_LIMITED', 'relay budget spent; retry in a moment');
    }
  }

  joined(): { room: Room; peer: Peer } {
    if (this.state.name !== 'joined') throw new ProtocolError('NOT_JOINED', 'join a room first');
    return this.state;
  }

  beginJoin(): void {
    if (this.state.name === 'joined' || this.state.name === 'joining') {
      throw new ProtocolError('ALREADY_JOINED', 'this connection has already joined a room');
    }
    if (this.state.name === 'closed') throw new ProtocolError('UNAVAILABLE', 'connection closed');
    this.state = { name: 'joining' };
  }

  endJoin(): void {
    if (this.state.name === 'joining') this.state = { name: 'connected' };
  }

  attach(room: Room, peer: Peer): void {
    if (this.state.name === 'closed') {
      // The socket went away while the join was under way: undo it, as its leave would have.
      room.leave(peer);
      throw new ProtocolError('UNAVAILABLE', 'connection closed during join');
    }
    const offClose = peer.on('close', (reason) => this.onPeerClosed(peer, reason));
    this.state = { name: 'joined', room, peer, offClose };
    this.log = this.log.child({ roomId: room.id, peerId: peer.id });
  }

  leave(): void {
    if (this.state.name !== 'joined') return;
    const { room, peer, offClose } = this.state;
    offClose();
    this.state = { name: 'connected' };
    room.leave(peer);
    this.metrics.left();
    const done = room.closed
      ? this.mls.deleteRoom(room.id)
      : this.mls.peerGone(room.id, peer.id, room.peers.values());
    done.catch((err: unknown) => this.log.error('mls cleanup failed', err));
  }

  /** Idempotent. */
  close(): void {
    this.leave();
    this.state = { name: 'closed' };
  }

  /** The room or the peer's worker went away under it: the client must join again. */
  private onPeerClosed(peer: Peer, reason: PeerCloseReason): void {
    if (this.state.name !== 'joined' || this.state.peer !== peer) return;
    const { room } = this.state;
    this.state = { name: 'connected' };
    const done = room.closed
      ? this.mls.deleteRoom(room.id)
      : this.mls.peerGone(room.id, peer.id, room.peers.values());
    done.catch((err: unknown) => this.log.error('mls cleanup failed', err));
    if (reason === 'LEFT') return;
    this.metrics.left();
    this.metrics.reconnectSent(reason);
    this.notify('reconnect', { reason });
  }

  /** Closes a socket whose unsent queue is full; its close makes its peer leave. */
  private overflow(): void {
    this.overflowed = true;
    this.metrics.socketRefused('BACKPRESSURE');
    this.log.warn('socket stopped reading; closing it', { queued: this.queued });
    // Not from inside the broadcast that found it full.
    setImmediate(() => {
      this.socket.disconnect(true);
      // discard: drop the queue instead of waiting for a drain that will not come.
      this.socket.conn.close(true);
    });
  }

  private async dispatch(rawEvent: unknown, args: unknown[]): Promise<void> {
    // Not a string: shown by its type, which no request name matches.
    const event = typeof rawEvent === 'string' ? rawEvent : `(${typeof rawEvent})`;
    const ack =
      typeof args[args.length - 1] === 'function'
        ? (args[args.length - 1] as (r: Ack<unknown>) => void)
        : undefined;
    const started = performance.now();
    const reply = (response: Ack<unknown>): void => {
      const seconds = (performance.now() - started) / 1000;
      this.metrics.requestDone(event, seconds, response.ok ? null : response.error.code);
      if (response.ok && event === 'join') this.metrics.joined(seconds);
      if (ack) ack(response);
      else if (!response.ok)
        this.log.debug('request without ack refused', { event, code: response.error.code });
    };
    if (!this.limiter.take()) {
      reply({
        ok: false,
        error: { code: 'RATE_LIMITED', message: 'too many requests; slow down' },
      });
      return;
    }
    if (!isRequestName(event)) {
      reply({
        ok: false,
        error: { code: 'UNKNOWN_EVENT', message: `unknown event "${event.slice(0, 64)}"` },
      });
      return;
    }
    if (!ack || args.length !== 2) {
      reply({
        ok: false,
        error: {
          code: 'BAD_REQUEST',
          message: `${event} takes one message and an acknowledgement`,
        },
      });
      return;
    }
    const checked = validate(requests[event].request, args[0]);
    if (!checked.ok) {
      const code = checked.tooLarge ? 'TOO_LARGE' : 'BAD_REQUEST';
      reply({ ok: false, error: { code, message: `${event}: ${checked.path} ${checked.reason}` } });
      return;
    }
    try {
      const handler = handlers[event] as Handler<typeof event>;
      const data = await handler(this, checked.value);
      reply({ ok: true, data });
    } catch (err) {
      reply({ ok: false, error: this.toErrorBody(event, err) });
    }
  }

  private toErrorBody(
    event: string,
    err: unknown,
  ): { code: ProtocolError['code']; message: string } {
    if (err instanceof ProtocolError) return err.toBody();
    // mediasoup's own validation errors: the client sent parameters it refuses.
    if (err instanceof TypeError)
      return { code: 'MEDIA_REJECTED', message: `${event}: ${err.message}` };
    // The worker closed the object (its producer or transport went away) and Node has not heard
    // yet: for the client it is simply gone.
    if (err instanceof NotFoundError) {
      return { code: 'NOT_FOUND', message: `${event}: it was closed` };
    }
    // A worker that died under the request: it came at the wrong time, not with wrong parameters.
    if (err instanceof WorkerClosedError) {
      return { code: 'INVALID_STATE', message: `${event}: ${err.message}` };
    }
    if (
      err instanceof Error &&
      /invalid|wrong|not supported|unsupported|missing/i.test(err.message)
    ) {
      return { code: 'MEDIA_REJECTED', message: `${event}: ${err.message}` };
    }
    this.log.error('request failed', err, { event });
    return { code: 'INTERNAL', message: `${event} failed on the server` };
  }
}
