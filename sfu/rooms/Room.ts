/**
 * A room: one mediasoup Router on one worker, its peers, and the E2EE
 * relay between its peers. Created on first join (by RoomRegistry), closed when the last peer
 * leaves or when its worker dies.
 */
import type { types } from 'mediasoup';
import type {
  MediaSource,
  NotificationName,
  NotificationOf,
  RequestOf,
  ResponseOf,
} from '../../shared/protocol/index.js';
import { ProtocolError } from '../../shared/protocol/index.js';
import type { Logger } from '../logger.js';
import { createLogger } from '../logger.js';
import { MEDIA_CODECS } from '../media/codecs.js';
import { LayerWatch } from '../media/LayerWatch.js';
import type { WorkerSlot } from '../media/WorkerPool.js';
import { parametersForClient } from '../media/wireTypes.js';
import { TypedEmitter } from '../TypedEmitter.js';
import type { Notify, ProducerData, TransportData } from './Peer.js';
import { MAX_PRODUCERS_PER_PEER, MAX_TRANSPORTS_PER_PEER, Peer } from './Peer.js';

export type RoomCloseReason = 'EMPTY' | 'WORKER_DIED' | 'SHUTDOWN';

type Events = {
  close: [reason: RoomCloseReason];
  /** Every new producer, for observers such as the test-only tap. */
  newProducer: [producer: types.Producer<ProducerData>];
};

const moduleLog = createLogger('Room');

export class RoomClosedError extends Error {
  override readonly name = 'RoomClosedError';
}

export class Room extends TypedEmitter<Events> {
  readonly peers = new Map<string, Peer>();
  private closedReason: RoomCloseReason | null = null;
  private readonly log: Logger;
  /** Fast simulcast failover, per simulcast video producer (by producer id). */
  private readonly layerWatches = new Map<string, LayerWatch>();

  private constructor(
    readonly id: string,
    readonly slot: WorkerSlot,
    readonly router: types.Router,
    readonly maxPeers: number,
  ) {
    super();
    this.log = moduleLog.child({ roomId: id, worker: slot.index });
    router.observer.on('close', () => this.close('WORKER_DIED'));
  }

  static async create(id: string, slot: WorkerSlot, maxPeers: number): Promise<Room> {
    // No ActiveSpeakerObserver: clients send no audio levels (web/call/audioPrivacy.ts), and
    // each browser finds the active speaker in the decrypted audio.
    const router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    return new Room(id, slot, router, maxPeers);
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  join(peerId: string, rtpCapabilities: types.RtpCapabilities, notify: Notify, log: Logger): Peer {
    this.assertOpen();
    if (this.peers.size >= this.maxPeers) {
      throw new ProtocolError('ROOM_FULL', `room is full (${this.maxPeers} participants)`);
    }
    const peer = new Peer(peerId, rtpCapabilities, notify, log);
    this.broadcast(null, 'peerJoined', { peerId });
    this.peers.set(peerId, peer);
    this.log.info('peer joined', { peerId, peers: this.peers.size });
    return peer;
  }

  /** Remove a peer; the room closes itself when the last one leaves. Idempotent. */
  leave(peer: Peer): void {
    if (this.peers.get(peer.id) !== peer) return;
    this.peers.delete(peer.id);
    peer.close();
    this.log.info('peer left', { peerId: peer.id, peers: this.peers.size });
    this.broadcast(null, 'peerLeft', { peerId: peer.id });
    if (this.peers.size === 0) this.close('EMPTY');
  }

  existingProducers(except: Peer): ResponseOf<'join'>['producers'] {
    const out: ResponseOf<'join'>['producers'] = [];
    for (const peer of this.peers.values()) {
      if (peer === except) continue;
      for (const p of peer.producers.values()) {
        out.push({
          producerId: p.id,
          peerId: peer.id,
          kind: p.kind,
          source: p.appData.source,
          paused: p.paused,
        });
      }
    }
    return out;
  }

  async createTransport(
    peer: Peer,
    direction: 'send' | 'recv',
  ): Promise<ResponseOf<'createTransport'>> {
    this.assertOpen();
    if (peer.transports.size >= MAX_TRANSPORTS_PER_PEER) {
      throw new ProtocolError(
        'INVALID_STATE',
        `at most ${MAX_TRANSPORTS_PER_PEER} transports per peer`,
      );
    }
    const transport = await this.router.createWebRtcTransport<TransportData>({
      webRtcServer: this.slot.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { direction },
    });
    if (peer.closed) {
      transport.close();
      throw new ProtocolError('NOT_JOINED', 'left the room while the transport was being created');
    }
    peer.addTransport(transport);
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') {
        peer.log.warn('transport dtls state', { transportId: transport.id, state });
      }
    });
    return {
      transportId: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async produce(peer: Peer, req: RequestOf<'produce'>): Promise<string> {
    const transport = peer.transport(req.transportId, 'send');
    if (peer.producers.size >= MAX_PRODUCERS_PER_PEER) {
      throw new ProtocolError(
        'INVALID_STATE',
        `at most ${MAX_PRODUCERS_PER_PEER} producers per peer`,
      );
    }
    const producer = await transport.produce<ProducerData>({
      kind: req.kind,
      rtpParameters: req.rtpParameters,
      paused: req.paused ?? false,
      appData: { peerId: peer.id, source: req.source },
    });
    if (peer.closed) {
      producer.close();
      throw new ProtocolError('NOT_JOINED', 'left the room while producing');
    }
    peer.addProducer(producer);
    if (LayerWatch.appliesTo(producer)) {
      const watch = new LayerWatch(producer);
      watch.on('capped', (spatialLayer) =>
        peer.notify('keyFrameNeeded', { producerId: producer.id, spatialLayer }),
      );
      this.layerWatches.set(producer.id, watch);
      producer.observer.once('close', () => this.layerWatches.delete(producer.id));
    }
    this.broadcast(peer, 'newProducer', {
      producerId: producer.id,
      peerId: peer.id,
      kind: producer.kind,
      source: req.source,
      paused: producer.paused,
    });
    this.emit('newProducer', producer);
    return producer.id;
  }

  async consume(peer: Peer, req: RequestOf<'consume'>): Promise<ResponseOf<'consume'>> {
    const transport = peer.transport(req.transportId, 'recv');
    const owner = this.findProducerOwner(req.producerId);
    if (!owner) throw new ProtocolError('NOT_FOUND', `no producer ${req.producerId} in this room`);
    if (owner.peer === peer)
      throw new ProtocolError('BAD_REQUEST', 'cannot consume your own producer');
    if (
      !this.router.canConsume({ producerId: req.producerId, rtpCapabilities: peer.rtpCapabilities })
    ) {
      throw new ProtocolError(
        'CANNOT_CONSUME',
        'your RTP capabilities cannot receive this producer',
      );
    }
    const consumer = await transport.consume({
      producerId: req.producerId,
      rtpCapabilities: peer.rtpCapabilities,
      paused: true,
      appData: { peerId: owner.peer.id },
    });
    if (peer.closed) {
      consumer.close();
      throw new ProtocolError('NOT_JOINED', 'left the room while consuming');
    }
    peer.addConsumer(consumer);
    this.layerWatches.get(req.producerId)?.add(consumer);
    const consumerId = consumer.id;
    consumer.on('producerclose', () => peer.notify('consumerClosed', { consumerId }));
    consumer.on('producerpause', () => peer.notify('consumerPaused', { consumerId }));
    consumer.on('producerresume', () => peer.notify('consumerResumed', { consumerId }));
    return {
      consumerId,
      producerId: req.producerId,
      peerId: owner.peer.id,
      kind: consumer.kind,
      source: owner.source,
      rtpParameters: parametersForClient(consumer.rtpParameters),
      producerPaused: consumer.producerPaused,
    };
  }

  /** The receiver's preferred layers; a stopped simulcast layer may still hold it lower. */
  async setConsumerLayers(
    peer: Peer,
    consumerId: string,
    layers: types.ConsumerLayers,
  ): Promise<void> {
    const consumer = peer.consumer(consumerId);
    if (consumer.type !== 'simulcast' && consumer.type !== 'svc') {
      throw new ProtocolError('INVALID_STATE', `consumer ${consumerId} has no layers`);
    }
    const watch = this.layerWatches.get(consumer.producerId);
    if (watch) await watch.setRequested(consumer, layers);
    else await consumer.setPreferredLayers(layers);
  }

  relay(from: Peer, to: string | null, payload: Uint8Array): void {
    this.assertOpen();
    if (to === null) {
      this.broadcast(from, 'relay', { from: from.id, payload });
      return;
    }
    const target = this.peers.get(to);
    if (!target || target === from)
      throw new ProtocolError('NOT_FOUND', `no other peer ${to} in this room`);
    target.notify('relay', { from: from.id, payload });
  }

  /** Idempotent: closes every peer and the router, then emits `close`. */
  close(reason: RoomCloseReason): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    for (const watch of this.layerWatches.values()) watch.close();
    this.layerWatches.clear();
    this.router.close();
    this.log.info('room closed', { reason });
    this.emit('close', reason);
    this.removeAllListeners();
  }

  private findProducerOwner(producerId: string): { peer: Peer; source: MediaSource } | undefined {
    for (const peer of this.peers.values()) {
      const producer = peer.producers.get(producerId);
      if (producer && !producer.closed) return { peer, source: producer.appData.source };
    }
    return undefined;
  }

  private broadcast<K extends NotificationName>(
    except: Peer | null,
    name: K,
    message: NotificationOf<K>,
  ): void {
    for (const peer of this.peers.values()) {
      if (peer !== except) peer.notify(name, message);
    }
  }

  private assertOpen(): void {
    if (this.closedReason !== null) {
      throw new ProtocolError('UNAVAILABLE', `room closed (${this.closedReason}); join again`);
    }
  }
}
