/**
 * One socket.io connection: validates every incoming event against its schema, applies the
 * per-socket rate limit, dispatches to the typed handler map, and acknowledges with
 * `{ ok, data } | { ok: false, error }`. Holds the connection's state:
 * connected → joining → joined (room + peer) → connected (after leave) … → closed.
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
import type { Logger } from '../logger.js';
import type { MlsRelay } from '../mls/MlsRelay.js';
import type { Faults } from '../testing/Faults.js';
import type { Peer } from '../rooms/Peer.js';
import type { Room, RoomCloseReason } from '../rooms/Room.js';
import type { RoomRegistry } from '../rooms/RoomRegistry.js';
import { handlers, type Handler } from './handlers.js';
import { RateLimiter } from './RateLimiter.js';

export type SfuSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export interface SessionDeps {
  registry: RoomRegistry;
  routerRtpCapabilities: types.RtpCapabilities;
  rateLimit: { perSecond: number; burst: number };
  log: Logger;
  /** The room's MLS sequencer and relay (one per server). */
  mls: MlsRelay;
  /** TEST-ONLY (sfu/testing/Faults.ts); null in production. */
  faults?: Faults | null;
}

type State =
  | { name: 'connected' }
  | { name: 'joining' }
  | { name: 'joined'; room: Room; peer: Peer; offClose: () => void }
  | { name: 'closed' };

/** Counters for /metrics. */
export const sessionStats = { rejected: new Map<string, number>() };

function countRejected(code: string): void {
  sessionStats.rejected.set(code, (sessionStats.rejected.get(code) ?? 0) + 1);
}

export class Session {
  readonly registry: RoomRegistry;
  readonly routerRtpCapabilities: types.RtpCapabilities;
  readonly faults: Faults | null;
  readonly mls: MlsRelay;
  log: Logger;
  private state: State = { name: 'connected' };
  private readonly limiter: RateLimiter;

  constructor(
    private readonly socket: SfuSocket,
    deps: SessionDeps,
  ) {
    this.registry = deps.registry;
    this.routerRtpCapabilities = deps.routerRtpCapabilities;
    this.faults = deps.faults ?? null;
    this.mls = deps.mls;
    this.log = deps.log.child({ socketId: socket.id });
    this.limiter = new RateLimiter(deps.rateLimit.perSecond, deps.rateLimit.burst);
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
    // socket.io's typed emit cannot relate a generic K to its listener's parameters.
    (this.socket.emit as (ev: string, msg: unknown) => boolean)(name, message);
  };

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
    const offClose = room.on('close', (reason) => this.onRoomClosed(reason));
    this.state = { name: 'joined', room, peer, offClose };
    this.log = this.log.child({ roomId: room.id, peerId: peer.id });
  }

  leave(): void {
    if (this.state.name !== 'joined') return;
    const { room, peer, offClose } = this.state;
    offClose();
    this.state = { name: 'connected' };
    room.leave(peer);
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

  private onRoomClosed(reason: RoomCloseReason): void {
    if (this.state.name !== 'joined') return;
    const { room } = this.state;
    this.state = { name: 'connected' };
    this.mls.deleteRoom(room.id).catch((err: unknown) => this.log.error('mls cleanup failed', err));
    if (reason !== 'EMPTY')
      this.notify('reconnect', { reason: reason === 'SHUTDOWN' ? 'SHUTDOWN' : 'WORKER_DIED' });
  }

  private async dispatch(rawEvent: unknown, args: unknown[]): Promise<void> {
    // Not a string: shown by its type, which no request name matches.
    const event = typeof rawEvent === 'string' ? rawEvent : `(${typeof rawEvent})`;
    const ack =
      typeof args[args.length - 1] === 'function'
        ? (args[args.length - 1] as (r: Ack<unknown>) => void)
        : undefined;
    const reply = (response: Ack<unknown>): void => {
      if (!response.ok) countRejected(response.error.code);
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
