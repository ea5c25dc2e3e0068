/**
 * A room: its peers, one mediasoup Router on each worker it has peers on, the pipes between those
 * routers, and the E2EE relay between its peers. Created on first join (by RoomRegistry) on the
 * least-loaded worker (its home router); each peer then goes to the least-loaded worker and gets
 * the room's router there. No ActiveSpeakerObserver: clients send no audio levels
 * (web/call/audioPrivacy.ts), and each browser finds the active speaker in the decrypted audio. A
 * producer reaches consumers on other routers through a pipe (ProducerPipes), held while they
 * consume. A router other than home closes when its last peer leaves. The room closes when the
 * last peer leaves, or when its home worker dies; a peer on another worker that dies is evicted
 * (told to reconnect) and the room goes on.
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
import { ProducerPipes } from '../media/ProducerPipes.js';
import type { WorkerPool, WorkerSlot } from '../media/WorkerPool.js';
import { parametersForClient } from '../media/wireTypes.js';
import { TypedEmitter } from '../TypedEmitter.js';
import type { Notify, PeerCloseReason, ProducerData, TransportData } from './Peer.js';
import { MAX_PRODUCERS_PER_PEER, Peer } from './Peer.js';
import { RoomRouters } from './RoomRouters.js';

export type RoomCloseReason = 'EMPTY' | 'WORKER_DIED' | 'SHUTDOWN';

type Events = {
  close: [reason: RoomCloseReason];
  /** Every new producer, for observers such as the test-only tap. */
  newProducer: [producer: types.Producer<ProducerData>];
};

const moduleLog = createLogger('Room');

export class Room extends TypedEmitter<Events> {
  readonly peers = new Map<string, Peer>();
  /** Producers piped between this room's routers. */
  readonly pipes = new ProducerPipes();
  private closedReason: RoomCloseReason | null = null;
  private readonly log: Logger;
  /** Fast simulcast failover, per simulcast video producer (by producer id). */
  private readonly layerWatches = new Map<string, LayerWatch>();
  /** This room's routers, one per worker (the home router included). */
  private readonly routers: RoomRouters;
  /** Joins that have been admitted but not yet become peers (count against maxPeers). */
  private joining = 0;

  private constructor(
    readonly id: string,
    private readonly pool: WorkerPool,
    homeSlot: WorkerSlot,
    home: types.Router,
    readonly maxPeers: number,
  ) {
    super();
    this.log = moduleLog.child({ roomId: id, worker: homeSlot.index });
    // Another worker died: the peers placed on it must reconnect; the room goes on.
    this.routers = new RoomRouters(homeSlot, home, (lost) => {
      for (const peer of [...this.peers.values()])
        if (peer.router === lost) this.remove(peer, 'WORKER_DIED');
    });
    home.observer.once('close', () => this.close('WORKER_DIED'));
  }

  static async create(id: string, pool: WorkerPool, maxPeers: number): Promise<Room> {
    const slot = pool.leastLoaded();
    const router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    return new Room(id, pool, slot, router, maxPeers);
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** The home router: the one the room was created on (the only one with a single worker). */
  get router(): types.Router {
    return this.routers.home;
  }

  /** The worker slots this room has a router on. */
  get slots(): number[] {
    return [...this.routers.slots];
  }

  /**
   * Places a new peer on the least-loaded worker and joins it. `stillWanted` is asked once the
   * router is ready: a socket that went away meanwhile gets UNAVAILABLE and leaves nothing
   * behind (no peer, no router made for it).
   */
  async join(
    peerId: string,
    rtpCapabilities: types.RtpCapabilities,
    notify: Notify,
    log: Logger,
    stillWanted: () => boolean = () => true,
  ): Promise<Peer> {
    this.assertOpen();
    if (this.peers.size + this.joining >= this.maxPeers) {
      throw new ProtocolError('ROOM_FULL', `room is full (${this.maxPeers} participants)`);
    }
    let slot: WorkerSlot;
    try {
      slot = this.pool.leastLoaded(this.routers.slots);
    } catch {
      throw new ProtocolError('UNAVAILABLE', 'no media worker is available; try again');
    }
    const admitted = slot.admit();
    const seat = this.routers.enter(slot);
    // The peer gives both back when it closes; a join that fails gives them back below.
    const lease = {
      release: () => {
        admitted.release();
        seat.leave();
      },
    };
    this.joining++;
    let peer: Peer | null = null;
    try {
      let router: types.Router;
      try {
        router = await seat.ready;
      } catch (err) {
        this.log.error('router creation failed', err, { worker: slot.index });
        throw new ProtocolError('UNAVAILABLE', 'could not place you on a media worker; try again');
      }
      this.assertOpen();
      if (!stillWanted()) throw new ProtocolError('UNAVAILABLE', 'connection closed during join');
      const maxConsumers = Math.max(1, this.maxPeers - 1) * MAX_PRODUCERS_PER_PEER;
      peer = new Peer(peerId, rtpCapabilities, notify, log, { slot, router, lease }, maxConsumers);
      this.broadcast(null, 'peerJoined', { peerId });
      this.peers.set(peerId, peer);
      this.log.info('peer joined', { peerId, peers: this.peers.size, worker: slot.index });
      return peer;
    } finally {
      this.joining--;
      if (peer === null) {
        lease.release();
        this.closeIfEmpty();
      }
    }
  }

  /** Remove a peer; the room closes itself when the last one leaves. Idempotent. */
  leave(peer: Peer): void {
    this.remove(peer, 'LEFT');
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
    const release = peer.reserve('transports');
    try {
      const transport = await peer.router.createWebRtcTransport<TransportData>({
        webRtcServer: peer.slot.webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
        appData: { direction },
      });
      if (peer.closed) {
        transport.close();
        throw new ProtocolError(
          'NOT_JOINED',
          'left the room while the transport was being created',
        );
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
    } finally {
      release();
    }
  }

  async produce(peer: Peer, req: RequestOf<'produce'>): Promise<string> {
    const transport = peer.transport(req.transportId, 'send');
    const release = peer.reserve('producers');
    let producer: types.Producer<ProducerData>;
    try {
      producer = await transport.produce<ProducerData>({
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
    } finally {
      release();
    }
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
      !owner.peer.router.canConsume({
        producerId: req.producerId,
        rtpCapabilities: peer.rtpCapabilities,
      })
    ) {
      throw new ProtocolError(
        'CANNOT_CONSUME',
        'your RTP capabilities cannot receive this producer',
      );
    }
    // Both claims are taken before the first await: pipelined consumes are counted at once.
    const unclaim = peer.claimConsume(req.producerId);
    const release = peer.reserve('consumers');
    let unpipe: (() => void) | null = null;
    let consumer: types.Consumer;
    try {
      if (owner.peer.router !== peer.router) {
        unpipe = await this.pipes.acquire(owner.producer, owner.peer.router, peer.router);
      }
      if (owner.producer.closed)
        throw new ProtocolError('NOT_FOUND', `producer ${req.producerId} closed`);
      consumer = await transport.consume({
        producerId: req.producerId,
        rtpCapabilities: peer.rtpCapabilities,
        paused: true,
        appData: { peerId: owner.peer.id, source: owner.producer.appData.source },
      });
      if (peer.closed) {
        consumer.close();
        throw new ProtocolError('NOT_JOINED', 'left the room while consuming');
      }
    } catch (err) {
      unclaim();
      unpipe?.();
      throw err;
    } finally {
      release();
    }
    peer.addConsumer(consumer);
    if (unpipe !== null) consumer.observer.once('close', unpipe);
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
      source: owner.producer.appData.source,
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

  /**
   * The router on `slot` for this room, made on first use. Routers made here other than the
   * home one close again when the last peer placed on them leaves.
   */
  routerOn(slot: WorkerSlot): Promise<types.Router> {
    this.assertOpen();
    return this.routers.routerOn(slot);
  }

  /** The router a producer of this room lives on (its peer's), or undefined. */
  routerOf(producerId: string): types.Router | undefined {
    return this.findProducerOwner(producerId)?.peer.router;
  }

  /** Idempotent: closes every peer and router, then emits `close`. */
  close(reason: RoomCloseReason): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    const peerReason: PeerCloseReason = reason === 'EMPTY' ? 'LEFT' : reason;
    for (const peer of this.peers.values()) peer.close(peerReason);
    this.peers.clear();
    for (const watch of this.layerWatches.values()) watch.close();
    this.layerWatches.clear();
    this.routers.close();
    this.log.info('room closed', { reason });
    this.emit('close', reason);
    this.removeAllListeners();
  }

  private remove(peer: Peer, reason: PeerCloseReason): void {
    if (this.peers.get(peer.id) !== peer) return;
    this.peers.delete(peer.id);
    peer.close(reason);
    this.log.info('peer left', { peerId: peer.id, peers: this.peers.size, reason });
    this.broadcast(null, 'peerLeft', { peerId: peer.id });
    this.closeIfEmpty();
  }

  private closeIfEmpty(): void {
    if (this.peers.size === 0 && this.joining === 0) this.close('EMPTY');
  }

  private findProducerOwner(
    producerId: string,
  ): { peer: Peer; producer: types.Producer<ProducerData>; source: MediaSource } | undefined {
    for (const peer of this.peers.values()) {
      const producer = peer.producers.get(producerId);
      if (producer && !producer.closed) return { peer, producer, source: producer.appData.source };
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
