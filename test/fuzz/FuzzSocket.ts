/**
 * One socket of the signalling fuzzer: runs a script of commands (signallingOps.ts) against a real
 * SFU over a real socket.io connection, reconnecting whenever the server (or the script) drops it,
 * and checks every acknowledgement: a valid answer for its event (the protocol's own response
 * schema) or `{ ok: false, error: { code, message } }` with a stable code. A request left without
 * an answer while its socket stayed connected is a violation.
 */
import { io, type Socket } from 'socket.io-client';
import {
  isErrorCode,
  isRequestName,
  requests,
  validate,
  type RequestName,
} from '../../shared/protocol/index.js';
import { DTLS_PARAMETERS, nested, rtpParameters, type Command } from './signallingOps.js';

/** Generous: on a loaded 2-core machine a flood of 700 can take seconds to be answered. */
const ACK_TIMEOUT_MS = 30_000;

/** socket.io-client's own connect timeout is 20 s; on a loaded 2-core machine allow more. */
const CONNECT_TIMEOUT_MS = 30_000;
const CONNECT_ATTEMPTS = 3;

class ConnectFailed extends Error {}

/** What the sockets of one wave know about each other (for consume). */
export class WaveState {
  readonly producers = new Map<string, number>(); // producerId → room
  readonly stale: string[] = [];
  nextSsrc = 1000;
}

export class FuzzStats {
  messages = 0;
  answers = 0;
  /** Requests whose socket closed before the answer (dropped on purpose or by the server). */
  lost = 0;
  reconnects = 0;
  readonly codes = new Map<string, number>();
  readonly okByEvent = new Map<string, number>();
  readonly violations: string[] = [];

  count(code: string): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
  }
}

type Ack = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

export class FuzzSocket {
  private socket: Socket | null = null;
  private caps: unknown = null;
  private room = -1;
  private transports: { id: string; direction: 'send' | 'recv' }[] = [];
  private producers: string[] = [];
  private consumers: string[] = [];

  constructor(
    private readonly url: string,
    private readonly wave: WaveState,
    private readonly stats: FuzzStats,
  ) {}

  async run(script: Command[]): Promise<void> {
    for (const [i, cmd] of script.entries()) {
      if (!this.socket?.connected && !(await this.reconnect())) return;
      this.current = `command ${i} (${cmd.t}${'req' in cmd ? ` ${cmd.req}` : ''})`;
      await this.exec(cmd);
    }
    this.current = 'done';
  }

  /** What this socket is doing now, for a wave that stops making progress. */
  current = 'not started';

  /**
   * A server may refuse a connection while it is flooded, so a failed connect is retried; one that
   * fails every time is a violation (a healthy SFU accepts a fresh connection) and ends the script.
   */
  private async reconnect(): Promise<boolean> {
    const failures: string[] = [];
    for (let attempt = 0; attempt < CONNECT_ATTEMPTS; attempt++) {
      try {
        await this.connect();
        return true;
      } catch (err) {
        if (!(err instanceof ConnectFailed)) throw err;
        failures.push(err.message);
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    this.stats.violations.push(`connect failed ${CONNECT_ATTEMPTS} times: ${failures.join('; ')}`);
    this.socket = null;
    return false;
  }

  close(): void {
    this.forget();
    this.socket?.close();
    this.socket = null;
  }

  private async connect(): Promise<void> {
    if (this.socket) this.stats.reconnects++;
    this.forget();
    this.socket?.close();
    const socket = io(this.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket = socket;
    // Settles on every outcome: socket.io-client emits only `disconnect` (no `connect_error`) when
    // the server closes the transport after it opened but before the CONNECT was answered, and a
    // promise waiting for `connect` alone would then never settle. (The wave that hung with seed
    // 2030575393 was stuck elsewhere, on buffered requests; see ask().)
    const outcome = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(
        () => resolve(`no connect within ${CONNECT_TIMEOUT_MS} ms`),
        CONNECT_TIMEOUT_MS,
      );
      const settle = (why: string | null): void => {
        clearTimeout(timer);
        socket.off('connect').off('connect_error').off('disconnect');
        resolve(why);
      };
      socket.once('connect', () => settle(null));
      socket.once('connect_error', (err) => settle(`connect_error: ${err.message}`));
      socket.once('disconnect', (reason) => settle(`disconnect before connect: ${reason}`));
    });
    if (outcome !== null) {
      socket.close();
      throw new ConnectFailed(outcome);
    }
    socket.on('mlsMessage', () => undefined);
  }

  /** The socket went away: everything it had on the server must be gone too. */
  private forget(): void {
    this.wave.stale.push(...this.transports.map((t) => t.id), ...this.producers, ...this.consumers);
    for (const p of this.producers) this.wave.producers.delete(p);
    this.transports = [];
    this.producers = [];
    this.consumers = [];
    if (this.wave.stale.length > 500) this.wave.stale.splice(0, 250);
  }

  /** Sends one request and checks its answer; null if the socket closed first. */
  private async ask(event: string, ...args: unknown[]): Promise<Ack | null> {
    const socket = this.socket!;
    // Gone mid-script (the server dropped it, or a `drop` command did): socket.io-client would
    // buffer the request and give up only after ACK_TIMEOUT_MS, for every later request of the
    // command, so a `call` after a drop took ~15 min (seed 2030575393). Count it lost now; the
    // next command reconnects.
    if (!socket.connected) {
      this.stats.lost++;
      return null;
    }
    this.stats.messages++;
    let res: unknown;
    try {
      res = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, ...args);
    } catch {
      if (!socket.connected) {
        this.stats.lost++;
        return null;
      }
      this.stats.violations.push(`${event}: no answer within ${ACK_TIMEOUT_MS} ms`);
      return null;
    }
    this.stats.answers++;
    return this.check(event, res);
  }

  private check(event: string, res: unknown): Ack | null {
    const r = res as Partial<Ack> | null;
    if (r?.ok === true && isRequestName(event)) {
      const checked = validate(requests[event].response, r.data);
      if (checked.ok) {
        this.stats.count('ok');
        this.stats.okByEvent.set(event, (this.stats.okByEvent.get(event) ?? 0) + 1);
        return r as Ack;
      }
      this.stats.violations.push(`${event}: invalid answer ${checked.path} ${checked.reason}`);
      return null;
    }
    if (r?.ok === false && isErrorCode(r.error?.code) && typeof r.error.message === 'string') {
      this.stats.count(r.error.code);
      if (r.error.code === 'INTERNAL')
        this.stats.violations.push(`${event}: INTERNAL (${r.error.message})`);
      return r as Ack;
    }
    this.stats.violations.push(`${event}: not an Ack: ${JSON.stringify(res)?.slice(0, 200)}`);
    return null;
  }

  private pickOf<T>(list: readonly T[], pick: number): T | undefined {
    return list.length === 0 ? undefined : list[pick % list.length];
  }

  /** An id for a request: one we hold, a stale one (closed since), or one that never existed. */
  private id(list: readonly string[], pick: number, stale: boolean): string {
    const chosen = stale ? this.pickOf(this.wave.stale, pick) : this.pickOf(list, pick);
    return chosen ?? `00000000-0000-4000-8000-${(pick % 2 ** 48).toString(16).padStart(12, '0')}`;
  }

  private async exec(cmd: Command): Promise<void> {
    const socket = this.socket!;
    switch (cmd.t) {
      case 'valid':
        return this.valid(cmd);
      case 'malformed':
        await this.ask(cmd.req, cmd.payload);
        return;
      case 'nested':
        await this.ask(cmd.req, nested(cmd.depth, cmd.asObject));
        return;
      case 'oversize': {
        if (cmd.what === 'envelope')
          await this.ask('mlsSend', { envelope: new Uint8Array(65_537) });
        else if (cmd.what === 'media') {
          const rtp = { ...rtpParameters(false, 1), padding: 'x'.repeat(40_000) };
          await this.ask('produce', {
            transportId: this.id([], 0, false),
            kind: 'audio',
            rtpParameters: rtp,
            source: 'microphone',
          });
        } else {
          // Beyond the socket's frame limit: the server closes this connection.
          await this.ask('mlsSend', { envelope: new Uint8Array(200_000) });
        }
        return;
      }
      case 'unknown':
        await this.ask(cmd.name, {});
        return;
      case 'noAck':
        this.stats.messages++;
        socket.emit(cmd.req, {});
        return;
      case 'extraArgs':
        await this.ask(cmd.req, {}, {});
        return;
      case 'flood': {
        const msg =
          cmd.req === 'mlsSend'
            ? { envelope: new Uint8Array([1]) }
            : cmd.req === 'pauseConsumer'
              ? { consumerId: this.id(this.consumers, 0, false) }
              : {};
        await Promise.all(Array.from({ length: cmd.n }, () => this.ask(cmd.req, msg)));
        return;
      }
      case 'joinRace': {
        const first = this.join(cmd.room);
        const second = cmd.second === 'leave' ? this.leave() : this.join(cmd.room);
        await Promise.all([first, second]);
        return;
      }
      case 'call':
        return this.call(cmd.room, cmd.leave);
      case 'drop': {
        const pending = this.valid({
          t: 'valid',
          req: cmd.req,
          room: cmd.room,
          pick: 0,
          stale: false,
          video: false,
        });
        socket.disconnect();
        await pending;
        return;
      }
      case 'raw':
        this.stats.messages++;
        socket.io.engine.write(cmd.text);
        return;
    }
  }

  private async join(room: number): Promise<void> {
    if (this.caps === null) {
      const r = await this.ask('getRouterRtpCapabilities', {});
      if (r?.ok) this.caps = (r.data as { routerRtpCapabilities: unknown }).routerRtpCapabilities;
    }
    const r = await this.ask('join', {
      roomId: `fuzz-${room}`,
      rtpCapabilities: this.caps ?? { codecs: [] },
    });
    if (r?.ok) this.room = room;
  }

  private async call(room: number, leave: boolean): Promise<void> {
    const base = { t: 'valid' as const, room, stale: false };
    await this.join(room);
    await this.valid({ ...base, req: 'createTransport', pick: 0, video: false }); // send
    await this.valid({ ...base, req: 'createTransport', pick: 1, video: false }); // recv
    await this.valid({ ...base, req: 'connectTransport', pick: 0, video: false });
    await this.valid({ ...base, req: 'produce', pick: 0, video: false });
    await this.valid({ ...base, req: 'produce', pick: 1, video: true });
    const theirs = [...this.wave.producers].filter(
      ([id, r]) => r === this.room && !this.producers.includes(id),
    );
    for (const [k, [producerId]] of theirs.slice(0, 6).entries()) {
      const recv = this.transports.filter((t) => t.direction === 'recv').at(-1)?.id;
      const r = await this.ask('consume', {
        transportId: recv ?? this.id([], k, false),
        producerId,
      });
      if (!r?.ok) continue;
      const consumerId = (r.data as { consumerId: string }).consumerId;
      this.consumers.push(consumerId);
      await this.ask('resumeConsumer', { consumerId });
      if (k % 2 === 0) await this.ask('setConsumerLayers', { consumerId, spatialLayer: k % 3 });
      if (k % 3 === 0) await this.ask('requestKeyFrame', { consumerId });
    }
    if (leave) await this.leave();
  }

  private async leave(): Promise<void> {
    const r = await this.ask('leave', {});
    if (r?.ok) this.forget();
  }

  private async valid(cmd: Extract<Command, { t: 'valid' }>): Promise<void> {
    const { pick, stale } = cmd;
    const transport = (dir: 'send' | 'recv'): string =>
      this.id(
        this.transports.filter((t) => t.direction === dir).map((t) => t.id),
        pick,
        stale,
      );
    const producer = (): string => this.id(this.producers, pick, stale);
    const consumer = (): string => this.id(this.consumers, pick, stale);
    switch (cmd.req) {
      case 'getRouterRtpCapabilities':
        await this.ask(cmd.req, {});
        return;
      case 'join':
        return this.join(cmd.room);
      case 'leave':
        return this.leave();
      case 'createTransport': {
        const direction = pick % 2 === 0 ? 'send' : 'recv';
        const r = await this.ask(cmd.req, { direction });
        if (r?.ok)
          this.transports.push({ id: (r.data as { transportId: string }).transportId, direction });
        return;
      }
      case 'connectTransport':
        await this.ask(cmd.req, {
          transportId: transport(pick % 2 === 0 ? 'send' : 'recv'),
          dtlsParameters: DTLS_PARAMETERS,
        });
        return;
      case 'restartIce':
        await this.ask(cmd.req, { transportId: transport(pick % 2 === 0 ? 'send' : 'recv') });
        return;
      case 'produce': {
        // A stale pick reuses the last SSRCs: mediasoup must refuse the duplicate cleanly.
        const ssrc = stale ? this.wave.nextSsrc : (this.wave.nextSsrc += 3);
        const r = await this.ask(cmd.req, {
          transportId: transport('send'),
          kind: cmd.video ? 'video' : 'audio',
          rtpParameters: rtpParameters(cmd.video, ssrc),
          source: cmd.video ? (pick % 2 === 0 ? 'camera' : 'screen') : 'microphone',
          paused: pick % 3 === 0,
        });
        if (r?.ok) {
          const id = (r.data as { producerId: string }).producerId;
          this.producers.push(id);
          this.wave.producers.set(id, this.room);
        }
        return;
      }
      case 'closeProducer':
      case 'pauseProducer':
      case 'resumeProducer': {
        const producerId = producer();
        const r = await this.ask(cmd.req, { producerId });
        if (r?.ok && cmd.req === 'closeProducer') {
          this.producers = this.producers.filter((p) => p !== producerId);
          this.wave.producers.delete(producerId);
          this.wave.stale.push(producerId);
        }
        return;
      }
      case 'consume': {
        const r = await this.ask(cmd.req, {
          transportId: transport('recv'),
          producerId: this.id([...this.wave.producers.keys()], pick, stale),
        });
        if (r?.ok) this.consumers.push((r.data as { consumerId: string }).consumerId);
        return;
      }
      case 'pauseConsumer':
      case 'resumeConsumer':
      case 'requestKeyFrame':
        await this.ask(cmd.req, { consumerId: consumer() });
        return;
      case 'setConsumerLayers':
        await this.ask(cmd.req, {
          consumerId: consumer(),
          spatialLayer: pick % 3,
          ...(pick % 2 ? { temporalLayer: pick % 4 } : {}),
        });
        return;
      case 'mlsSend':
        // Not a signed envelope of any room: refused (BAD_ENVELOPE, NO_GROUP), never relayed.
        await this.ask(cmd.req, { envelope: new Uint8Array(1 + (pick % 200)).fill(pick % 256) });
        return;
    }
  }
}

export type { RequestName };
