/**
 * TEST-ONLY: records the RTP packets the SFU forwards for every producer, through a
 * DirectTransport consumer per producer. The end-to-end tests use it to show that what the SFU
 * handles is SFrame ciphertext. It is created only when `BLINDCALL_TEST_HOOKS=1`
 * (`config.testHooks`) and is never reachable over the network: tests read it in-process.
 */
import type { types } from 'mediasoup';
import { createLogger } from '../logger.js';
import type { ProducerData } from '../rooms/Peer.js';
import type { Room } from '../rooms/Room.js';
import type { RoomRegistry } from '../rooms/RoomRegistry.js';

const log = createLogger('ProducerTap');

export interface TappedProducer {
  roomId: string;
  producerId: string;
  peerId: string;
  kind: types.MediaKind;
  source: string;
  /** Codec MIME type of the tapped stream (e.g. video/VP8, audio/opus). */
  mimeType: string;
  /** RTP header extensions the sender negotiated (producer) and the tap receives (consumer). */
  producerHeaderExtensions: string[];
  tapHeaderExtensions: { uri: string; id: number }[];
  packets: Buffer[];
}

/** Keep at most this many packets per producer (about 30 s of VP8 at 500 kbit/s). */
const MAX_PACKETS = 20_000;

export class ProducerTap {
  readonly producers = new Map<string, TappedProducer>();

  constructor(registry: RoomRegistry) {
    log.warn('test hooks enabled: every producer is recorded; never enable this in production');
    registry.on('roomCreated', (room) => this.watch(room));
  }

  private watch(room: Room): void {
    // One DirectTransport per router of the room: a producer is tapped where it lives.
    const transports = new Map<types.Router, Promise<types.DirectTransport>>();
    room.on('newProducer', (producer) => {
      const router = room.routerOf(producer.id) ?? room.router;
      let transport = transports.get(router);
      if (transport === undefined) {
        transport = router.createDirectTransport();
        transports.set(router, transport);
        router.observer.once('close', () => transports.delete(router));
      }
      transport
        .then((t) => this.tap(t, room.id, router, producer))
        .catch((err: unknown) => log.error('tap failed', err, { producerId: producer.id }));
    });
  }

  private async tap(
    transport: types.DirectTransport,
    roomId: string,
    router: types.Router,
    producer: types.Producer<ProducerData>,
  ): Promise<void> {
    const consumer = await transport.consume({
      producerId: producer.id,
      rtpCapabilities: router.rtpCapabilities,
      paused: false,
    });
    const entry: TappedProducer = {
      roomId,
      producerId: producer.id,
      peerId: producer.appData.peerId,
      kind: producer.kind,
      source: producer.appData.source,
      mimeType: consumer.rtpParameters.codecs[0]?.mimeType ?? '',
      producerHeaderExtensions: (producer.rtpParameters.headerExtensions ?? []).map((e) => e.uri),
      tapHeaderExtensions: (consumer.rtpParameters.headerExtensions ?? []).map((e) => ({
        uri: e.uri,
        id: e.id,
      })),
      packets: [],
    };
    this.producers.set(producer.id, entry);
    consumer.on('rtp', (packet) => {
      if (entry.packets.length >= MAX_PACKETS) entry.packets.shift();
      entry.packets.push(Buffer.from(packet));
    });
  }
}
