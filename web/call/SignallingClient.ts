/**
 * The signalling connection: socket.io over WebSocket to the SFU (same origin), a typed request
 * helper with timeouts, and validated notifications. Every response and notification is checked
 * against the shared schemas before anyone sees it; a message that fails is dropped and logged by
 * name and path only.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  ErrorCode,
  NotificationName,
  NotificationOf,
  RequestName,
  RequestOf,
  ResponseOf,
  ServerToClientEvents,
} from '../../shared/protocol/index.js';
import {
  isErrorCode,
  notifications,
  requests,
  validate,
  type Schema,
} from '../../shared/protocol/index.js';
import { Emitter } from '../util/Emitter.js';
import { createLogger } from '../util/logger.js';

const log = createLogger('Signalling');

export const REQUEST_TIMEOUT_MS = 10_000;
export const CONNECT_TIMEOUT_MS = 8_000;

/**
 * A request the server refused for its rate (RATE_LIMITED, RELAY_LIMITED) changed nothing there
 * and is sent again: after 250 ms, then twice as long each time (± 30 %, so the retries of a
 * burst spread out), for up to this long in all. Joining a large room sends a few hundred
 * requests at once; a refused consume that is never retried would lose that feed for the call.
 */
export const RETRY_REFUSED_FOR_MS = 10_000;
const RETRY_FIRST_DELAY_MS = 250;
const RETRY_MAX_DELAY_MS = 2_000;
const RETRIED_CODES: ReadonlySet<SignallingErrorCode> = new Set(['RATE_LIMITED', 'RELAY_LIMITED']);

export type SignallingErrorCode =
  ErrorCode | 'TIMEOUT' | 'DISCONNECTED' | 'BAD_RESPONSE' | 'UNREACHABLE';

export class SignallingError extends Error {
  override readonly name = 'SignallingError';
  constructor(
    readonly code: SignallingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type NotificationHandlers = { [K in NotificationName]?: (message: NotificationOf<K>) => void };

type Events = {
  /** The socket (re)connected. */
  connected: [];
  /** The socket dropped; `willRetry` tells whether socket.io will reconnect on its own. */
  disconnected: [reason: string, willRetry: boolean];
};

export class SignallingClient extends Emitter<Events> {
  private readonly socket: ClientSocket;
  private readonly handlers: NotificationHandlers = {};
  private closed = false;

  constructor(url: string = location.origin) {
    super();
    this.socket = io(url, {
      path: '/socket.io',
      transports: ['websocket'],
      autoConnect: false,
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
      randomizationFactor: 0.3,
      timeout: CONNECT_TIMEOUT_MS,
    });
    this.socket.on('connect', () => this.emit('connected'));
    this.socket.on('disconnect', (reason) => {
      const willRetry = reason !== 'io client disconnect' && reason !== 'io server disconnect';
      if (reason === 'io server disconnect' && !this.closed) this.socket.connect();
      this.emit('disconnected', reason, willRetry || reason === 'io server disconnect');
    });
    for (const name of Object.keys(notifications) as NotificationName[]) {
      (this.socket.on as (ev: string, fn: (msg: unknown) => void) => void)(name, (msg) =>
        this.dispatch(name, msg),
      );
    }
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Connects, or fails with UNREACHABLE after `timeoutMs` of failed attempts. */
  connect(timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.socket.off('connect', onConnect);
      };
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new SignallingError('UNREACHABLE', 'the call server did not answer'));
      }, timeoutMs);
      this.socket.on('connect', onConnect);
      this.socket.connect();
    });
  }

  /** Waits for the next (re)connection, without a time limit. */
  waitConnected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  /** One handler per notification; the message has already passed its schema. */
  onNotification<K extends NotificationName>(
    name: K,
    handler: (message: NotificationOf<K>) => void,
  ): void {
    (this.handlers as Record<K, (message: NotificationOf<K>) => void>)[name] = handler;
  }

  /** Sends a request; one refused for the server's rate limits is retried (see above). */
  async request<K extends RequestName>(
    name: K,
    data: RequestOf<K>,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<ResponseOf<K>> {
    const giveUpAt = Date.now() + RETRY_REFUSED_FOR_MS;
    for (let delay = RETRY_FIRST_DELAY_MS; ; delay = Math.min(RETRY_MAX_DELAY_MS, delay * 2)) {
      try {
        return await this.requestOnce(name, data, timeoutMs);
      } catch (err) {
        const wait = delay * (0.7 + 0.6 * Math.random());
        if (!(err instanceof SignallingError) || !RETRIED_CODES.has(err.code)) throw err;
        if (this.closed || Date.now() + wait > giveUpAt) throw err;
        log.debug('request refused for rate; retrying', { request: name, code: err.code });
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private async requestOnce<K extends RequestName>(
    name: K,
    data: RequestOf<K>,
    timeoutMs: number,
  ): Promise<ResponseOf<K>> {
    if (this.closed) throw new SignallingError('DISCONNECTED', 'signalling closed');
    if (!this.socket.connected) throw new SignallingError('DISCONNECTED', `${name}: not connected`);
    let ack: unknown;
    try {
      // socket.io's typed emit cannot relate a generic K to its listener's parameters.
      const timed = this.socket.timeout(timeoutMs) as unknown as {
        emitWithAck(ev: string, msg: unknown): Promise<unknown>;
      };
      ack = await timed.emitWithAck(name, data);
    } catch {
      throw new SignallingError(
        this.socket.connected ? 'TIMEOUT' : 'DISCONNECTED',
        `${name}: no answer`,
      );
    }
    return this.readAck(name, ack);
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.removeAllListeners();
    this.socket.disconnect();
    this.removeAllListeners();
  }

  private readAck<K extends RequestName>(name: K, ack: unknown): ResponseOf<K> {
    if (typeof ack !== 'object' || ack === null) {
      throw new SignallingError('BAD_RESPONSE', `${name}: malformed acknowledgement`);
    }
    const body = ack as {
      ok?: unknown;
      data?: unknown;
      error?: { code?: unknown; message?: unknown };
    };
    if (body.ok === false) {
      const code = body.error?.code;
      const message =
        typeof body.error?.message === 'string' ? body.error.message.slice(0, 300) : '';
      throw new SignallingError(
        isErrorCode(code) ? code : 'BAD_RESPONSE',
        message || `${name} failed`,
      );
    }
    if (body.ok !== true)
      throw new SignallingError('BAD_RESPONSE', `${name}: malformed acknowledgement`);
    const checked = validate(requests[name].response, body.data);
    if (!checked.ok) {
      log.warn('response failed its schema', {
        request: name,
        path: checked.path,
        reason: checked.reason,
      });
      throw new SignallingError('BAD_RESPONSE', `${name}: ${checked.path} ${checked.reason}`);
    }
    return checked.value as ResponseOf<K>;
  }

  private dispatch<K extends NotificationName>(name: K, message: unknown): void {
    const checked = validate(notifications[name] as Schema<unknown>, message);
    if (!checked.ok) {
      log.warn('notification failed its schema', {
        name,
        path: checked.path,
        reason: checked.reason,
      });
      return;
    }
    const handler = this.handlers[name];
    if (!handler) return;
    try {
      handler(checked.value as NotificationOf<K>);
    } catch (err) {
      log.error('notification handler threw', err, { name });
    }
  }
}
