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
    let transport: Promise<types.DirectTransport> | undefined;
    room.on('newProducer', (producer) => {
      transport ??= room.router.createDirectTransport();
      transport
        .then((t) => this.tap(room, t, producer))
        .catch((err: unknown) => log.error('tap failed', err, { producerId: producer.id }));
    });
  }

  private async tap(
    room: Room,
    transport: types.DirectTransport,
    producer: types.Producer<ProducerData>,
  ): Promise<void> {
    const consumer = await transport.consume({
      producerId: producer.id,
      rtpCapabilities: room.router.rtpCapabilities,
      paused: false,
    });
    const entry: TappedProducer = {
      roomId: room.id,
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
