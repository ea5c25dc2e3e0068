/**
 * Integration-test harness: a real SFU (real mediasoup worker, real HTTP and socket.io server on
 * an ephemeral port) and typed socket.io clients that speak the protocol.
 */
import type { Socket as Socket4 } from 'node:dgram';
import type { types } from 'mediasoup';
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  ClientToServerEvents,
  NotificationName,
  NotificationOf,
  RequestName,
  RequestOf,
  ResponseOf,
  ServerToClientEvents,
} from '../../../shared/protocol/index.js';
import { loadConfig } from '../../../sfu/config.js';
import { Sfu } from '../../../sfu/Sfu.js';

/**
 * A WebRtcServer port range per SFU so back-to-back tests never race on a port: 28000-31999,
 * below Linux's ephemeral range (32768-60999), where any outgoing connection of the machine may
 * hold a port ("address already in use" once hit a test here at 41928).
 */
let nextRtcPort = 28000 + Math.floor(Math.random() * 900) * 4;

export async function startSfu(env: Record<string, string> = {}): Promise<Sfu> {
  const rtcPort = nextRtcPort;
  nextRtcPort += 4;
  return Sfu.start(
    loadConfig({
      PORT: '0',
      NUM_WORKERS: '1',
      RTC_PORT: String(rtcPort),
      LOG_LEVEL: 'error',
      WEB_ROOT: '/nonexistent-web-root',
      ...env,
    }),
  );
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export class TestClient {
  readonly received: { name: NotificationName; message: unknown }[] = [];

  private constructor(readonly socket: ClientSocket) {
    socket.onAny((name: NotificationName, message: unknown) =>
      this.received.push({ name, message }),
    );
  }

  static async connect(sfu: Sfu): Promise<TestClient> {
    const socket: ClientSocket = io(sfu.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return new TestClient(socket);
  }

  /** Sends a typed request and returns the raw acknowledgement. */
  request<K extends RequestName>(name: K, message: RequestOf<K>): Promise<Ack<ResponseOf<K>>> {
    return this.raw(name, message) as Promise<Ack<ResponseOf<K>>>;
  }

  /** Sends any event with any payload (for malformed-input tests). */
  raw(name: string, ...args: unknown[]): Promise<Ack<unknown>> {
    return (
      this.socket.timeout(10_000) as unknown as {
        emitWithAck(n: string, ...a: unknown[]): Promise<Ack<unknown>>;
      }
    ).emitWithAck(name, ...args);
  }

  /** Sends a request and returns its data, failing the test on an error acknowledgement. */
  async ok<K extends RequestName>(name: K, message: RequestOf<K>): Promise<ResponseOf<K>> {
    const res = await this.request(name, message);
    if (!res.ok) throw new Error(`${name} failed: ${res.error.code} ${res.error.message}`);
    return res.data;
  }

  /** Resolves with the next notification `name` (already received ones count). */
  async next<K extends NotificationName>(
    name: K,
    match: (m: NotificationOf<K>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<NotificationOf<K>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const idx = this.received.findIndex(
        (r) => r.name === name && match(r.message as NotificationOf<K>),
      );
      if (idx >= 0) return this.received.splice(idx, 1)[0]!.message as NotificationOf<K>;
      if (Date.now() > deadline) throw new Error(`no ${name} notification within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.close();
  }
}

export async function joinRoom(
  sfu: Sfu,
  client: TestClient,
  roomId: string,
): Promise<ResponseOf<'join'>> {
  const { routerRtpCapabilities } = await client.ok('getRouterRtpCapabilities', {});
  void sfu;
  return client.ok('join', { roomId, rtpCapabilities: routerRtpCapabilities });
}

export async function until(
  cond: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * An Opus producer (PT 111, `ssrc`) on a comedia PlainTransport (rtcp-mux) on 127.0.0.1: RTP
 * sent to `ingress.tuple.localPort` enters the router as that producer.
 */
export async function plainOpusProducer(
  router: types.Router,
  ssrc: number,
): Promise<{ ingress: types.PlainTransport; producer: types.Producer }> {
  const ingress = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: true,
  });
  const producer = await ingress.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc }],
    },
  });
  return { ingress, producer };
}

/**
 * Consumes `producerId` through a PlainTransport (rtcp-mux) that sends to `socket`, a bound UDP
 * socket on 127.0.0.1: how integration tests receive what the SFU forwards.
 */
export async function consumeToSocket(
  router: types.Router,
  producerId: string,
  socket: Socket4,
): Promise<types.Consumer> {
  const egress = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: false,
  });
  await egress.connect({ ip: '127.0.0.1', port: socket.address().port });
  return egress.consume({ producerId, rtpCapabilities: router.rtpCapabilities });
}

/** How many requests (or sockets) `sfu` refused with `code`, from its metrics; 0 before the first. */
export async function refusedCount(sfu: Sfu, code: string): Promise<number> {
  const text = await sfu.metrics.render();
  const m = new RegExp(`^blindcall_requests_refused_total\\{code="${code}"\\} (\\d+)$`, 'm').exec(
    text,
  );
  return m ? Number(m[1]) : 0;
}
