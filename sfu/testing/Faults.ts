/**
 * TEST-ONLY: a deliberately broken SFU, so the call-test tool (calltest/) can be shown to fail
 * with the right reason. Created only when `BLINDCALL_TEST_HOOKS=1` and `BLINDCALL_TEST_FAULTS`
 * names faults (both read once at start-up, `config.testFaults`); never reachable otherwise.
 *
 *   drop-video:N    the N-th peer to join a room (1-based) has its video never forwarded: the
 *                   receivers' consumers of it stay paused on the server, silently
 *   drop-screen:N   the same for the N-th peer's shared screen only (its camera still flows)
 *   relay-drop:N    key-protocol messages to the N-th peer of a room are dropped: `mlsCommit`,
 *                   `mlsMessage`, `mlsEpochReady`
 *   ghost           a peer that exists only in signalling joins each room after its first peer
 *                   (it never speaks the key protocol); it leaves when the last real peer does
 *   plain-client    the web client is served with a script that makes its encoded transforms
 *                   no-ops: the app believes it encrypts, media flows in clear
 *
 * e.g. `BLINDCALL_TEST_FAULTS=drop-video:2,ghost`.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { NotificationName, NotificationOf } from '../../shared/protocol/index.js';
import { createLogger } from '../logger.js';
import type { Peer } from '../rooms/Peer.js';
import type { Room } from '../rooms/Room.js';

const log = createLogger('Faults');

type Notify = <K extends NotificationName>(name: K, message: NotificationOf<K>) => void;

/** What relay-drop withholds: every notification that carries the key protocol. */
const KEY_NOTIFICATIONS: ReadonlySet<NotificationName> = new Set<NotificationName>([
  'mlsCommit',
  'mlsMessage',
  'mlsEpochReady',
]);

export interface FaultConfig {
  readonly dropVideoOf: number | null;
  readonly dropScreenOf: number | null;
  readonly relayDropFor: number | null;
  readonly ghost: boolean;
  readonly plainClient: boolean;
}

export class FaultConfigError extends Error {
  override readonly name = 'FaultConfigError';
}

export function parseFaults(raw: string): FaultConfig {
  let dropVideoOf: number | null = null;
  let dropScreenOf: number | null = null;
  let relayDropFor: number | null = null;
  let ghost = false;
  let plainClient = false;
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, arg] = item.split(':');
    const ordinal = (): number => {
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 1) throw new FaultConfigError(`${name} needs :N (N ≥ 1)`);
      return n;
    };
    if (name === 'drop-video') dropVideoOf = ordinal();
    else if (name === 'drop-screen') dropScreenOf = ordinal();
    else if (name === 'relay-drop') relayDropFor = ordinal();
    else if (name === 'ghost') ghost = true;
    else if (name === 'plain-client') plainClient = true;
    else throw new FaultConfigError(`unknown fault ${JSON.stringify(item.slice(0, 40))}`);
  }
  return { dropVideoOf, dropScreenOf, relayDropFor, ghost, plainClient };
}

const PLAIN_CLIENT_SCRIPT = '/__testing/plain-client.js';

/** Makes every `transform = …` on senders and receivers a no-op the page cannot tell from one. */
const PLAIN_CLIENT_SOURCE = `(() => {
  for (const proto of [RTCRtpSender.prototype, RTCRtpReceiver.prototype]) {
    const kept = new WeakMap();
    Object.defineProperty(proto, 'transform', {
      configurable: true,
      get() { return kept.get(this) ?? null; },
      set(value) { kept.set(this, value); },
    });
  }
})();
`;

export class Faults {
  /** Peer ids of each room in join order (ghosts not counted). */
  private readonly order = new Map<string, string[]>();

  constructor(readonly config: FaultConfig) {
    log.warn(
      'test faults enabled: this SFU misbehaves on purpose; never enable this in production',
      {
        ...config,
      },
    );
  }

  /** Called once a peer has joined `room`; starts the room's ghost after its first peer. */
  joined(room: Room, peerId: string): void {
    const ids = this.order.get(room.id) ?? [];
    ids.push(peerId);
    this.order.set(room.id, ids);
    if (this.config.ghost && ids.length === 1) this.addGhost(room);
  }

  private ordinal(roomId: string, peerId: string): number {
    return (this.order.get(roomId)?.indexOf(peerId) ?? -1) + 1;
  }

  /** The notify function for a peer: drops key-protocol messages to the relay-drop target. */
  notifyFor(roomId: string, peerId: string, notify: Notify): Notify {
    const target = this.config.relayDropFor;
    if (target === null) return notify;
    return (name, message) => {
      if (KEY_NOTIFICATIONS.has(name) && this.ordinal(roomId, peerId) === target) return;
      notify(name, message);
    };
  }

  /** True when the server must silently never forward this consumer's media. */
  withholds(roomId: string, consumer: types.Consumer): boolean {
    if (consumer.kind !== 'video') return false;
    const { peerId = '', source } = consumer.appData as { peerId?: string; source?: string };
    const n = this.ordinal(roomId, peerId);
    return n === this.config.dropVideoOf || (source === 'screen' && n === this.config.dropScreenOf);
  }

  private addGhost(room: Room): void {
    const ghostId = `ghost${randomBytes(6).toString('hex')}`;
    let ghost: Peer | null = null;
    const real = new Set(this.order.get(room.id));
    const notify: Notify = (name, message) => {
      if (name === 'peerJoined') real.add((message as NotificationOf<'peerJoined'>).peerId);
      if (name !== 'peerLeft') return;
      real.delete((message as NotificationOf<'peerLeft'>).peerId);
      // The last real peer left: so does the ghost, or the room would never close.
      if (real.size === 0 && ghost) setImmediate(() => room.leave(ghost!));
    };
    room
      .join(ghostId, room.router.rtpCapabilities, notify, log.child({ ghostId }))
      .then((peer) => {
        ghost = peer;
        log.warn('ghost joined', { roomId: room.id, peerId: ghostId });
      })
      .catch((err: unknown) => log.error('ghost could not join', err, { roomId: room.id }));
  }

  /** Serves the plain client (index.html with the no-op transform script); false otherwise. */
  async serveHttp(
    res: ServerResponse,
    req: IncomingMessage,
    pathname: string,
    webRoot: string,
  ): Promise<boolean> {
    if (!this.config.plainClient || req.method !== 'GET') return false;
    if (pathname === PLAIN_CLIENT_SCRIPT) {
      res
        .writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
        .end(PLAIN_CLIENT_SOURCE);
      return true;
    }
    if (pathname !== '/' && !/^\/r\/[A-Za-z0-9_-]{1,64}\/?$/.test(pathname)) return false;
    const html = await readFile(path.join(webRoot, 'index.html'), 'utf8');
    const broken = html.replace('<script', `<script src="${PLAIN_CLIENT_SCRIPT}"></script><script`);
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(broken);
    return true;
  }
}
