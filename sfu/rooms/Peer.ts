/**
 * One participant of a room on the server: the worker it was placed on, its transports,
 * producers and consumers. Every media object it owns is closed by `close()`. The peer knows
 * nothing about E2EE: it only sees encrypted frames (mediasoup) and opaque relay payloads.
 */
import type { types } from 'mediasoup';
import type { MediaSource, NotificationName, NotificationOf } from '../../shared/protocol/index.js';
import { ProtocolError } from '../../shared/protocol/index.js';
import type { Logger } from '../logger.js';
import type { PeerLease, WorkerSlot } from '../media/WorkerSlot.js';
import { TypedEmitter } from '../TypedEmitter.js';

export type Notify = <K extends NotificationName>(name: K, message: NotificationOf<K>) => void;

export type Direction = 'send' | 'recv';
export interface TransportData {
  direction: Direction;
  [key: string]: unknown;
}
export interface ProducerData {
  peerId: string;
  source: MediaSource;
  [key: string]: unknown;
}

/** Why a peer closed: it left, or its room or worker went away (then it must reconnect). */
export type PeerCloseReason = 'LEFT' | 'WORKER_DIED' | 'SHUTDOWN';

/** Resource caps per peer: enough for camera + microphone + screen and a reconnect. */
export const MAX_TRANSPORTS_PER_PEER = 4;
export const MAX_PRODUCERS_PER_PEER = 6;

/** The peer's share of its worker: the router of its room there and the WebRtcServer. */
export interface PeerPlacement {
  readonly slot: WorkerSlot;
  readonly router: types.Router;
  readonly lease: PeerLease;
}

type Events = { close: [reason: PeerCloseReason] };

type Counted = 'transports' | 'producers' | 'consumers';

export class Peer extends TypedEmitter<Events> {
  readonly transports = new Map<string, types.WebRtcTransport<TransportData>>();
  readonly producers = new Map<string, types.Producer<ProducerData>>();
  readonly consumers = new Map<string, types.Consumer>();
  private closedFlag = false;
  /** Transports whose connect() was called: mediasoup allows it once, and dtlsState stays 'new' until ICE. */
  private readonly connecting = new Set<string>();
  /** Creations under way, counted against the caps so pipelined requests cannot overshoot them. */
  private readonly pending: Record<Counted, number> = { transports: 0, producers: 0, consumers: 0 };
  /** Producers this peer consumes or is about to: one consumer per producer. */
  private readonly consuming = new Set<string>();

  constructor(
    readonly id: string,
    readonly rtpCapabilities: types.RtpCapabilities,
    readonly notify: Notify,
    readonly log: Logger,
    readonly placement: PeerPlacement,
    /** At most this many consumers: one per producer of the other peers of a full room. */
    readonly maxConsumers: number,
  ) {
    super();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get router(): types.Router {
    return this.placement.router;
  }

  get slot(): WorkerSlot {
    return this.placement.slot;
  }

  transport(transportId: string, direction?: Direction): types.WebRtcTransport<TransportData> {
    const transport = this.transports.get(transportId);
    if (!transport || transport.closed)
      throw new ProtocolError('NOT_FOUND', `no transport ${transportId}`);
    if (direction && transport.appData.direction !== direction) {
      throw new ProtocolError(
        'INVALID_STATE',
        `transport ${transportId} is not a ${direction} transport`,
      );
    }
    return transport;
  }

  producer(producerId: string): types.Producer<ProducerData> {
    const producer = this.producers.get(producerId);
    if (!producer || producer.closed)
      throw new ProtocolError('NOT_FOUND', `no producer ${producerId}`);
    return producer;
  }

  consumer(consumerId: string): types.Consumer {
    const consumer = this.consumers.get(consumerId);
    if (!consumer || consumer.closed)
      throw new ProtocolError('NOT_FOUND', `no consumer ${consumerId}`);
    return consumer;
  }

  /**
   * Claims one more transport, producer or consumer under its cap, synchronously (before any
   * await), so requests pipelined back to back are counted as they arrive. Returns the release
   * to call once the creation has succeeded (the object is in its map) or failed.
   */
  reserve(what: Counted): () => void {
    const cap =
      what === 'transports'
        ? MAX_TRANSPORTS_PER_PEER
        : what === 'producers'
          ? MAX_PRODUCERS_PER_PEER
          : this.maxConsumers;
    if (this[what].size + this.pending[what] >= cap) {
      throw new ProtocolError('LIMIT_REACHED', `at most ${cap} ${what} per peer`);
    }
    this.pending[what]++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.pending[what]--;
    };
  }

  /**
   * Claims the one consumer this peer may have of `producerId`; a second consume of the same
   * producer (also one racing the first) is INVALID_STATE. Returns the release for a failed
   * consume; a created consumer releases it when it closes (see addConsumer).
   */
  claimConsume(producerId: string): () => void {
    if (this.consuming.has(producerId))
      throw new ProtocolError('INVALID_STATE', `already consuming producer ${producerId}`);
    this.consuming.add(producerId);
    return () => this.consuming.delete(producerId);
  }

  addTransport(transport: types.WebRtcTransport<TransportData>): void {
    this.transports.set(transport.id, transport);
    transport.observer.on('close', () => {
      this.transports.delete(transport.id);
      this.connecting.delete(transport.id);
    });
  }

  /**
   * Claims the one connect() of a transport, synchronously, so a second connectTransport (also
   * one racing the first) is INVALID_STATE rather than mediasoup's "connect() already called".
   * Returns a release for when the connect fails (bad DTLS parameters may be retried).
   */
  claimConnect(transportId: string): () => void {
    const transport = this.transport(transportId);
    if (this.connecting.has(transport.id) || transport.dtlsState !== 'new')
      throw new ProtocolError('INVALID_STATE', `transport ${transportId} is already connected`);
    this.connecting.add(transport.id);
    return () => this.connecting.delete(transport.id);
  }

  addProducer(producer: types.Producer<ProducerData>): void {
    this.producers.set(producer.id, producer);
    producer.observer.on('close', () => this.producers.delete(producer.id));
  }

  addConsumer(consumer: types.Consumer): void {
    this.consumers.set(consumer.id, consumer);
    consumer.observer.on('close', () => {
      this.consumers.delete(consumer.id);
      this.consuming.delete(consumer.producerId);
    });
  }

  /**
   * Idempotent: closes every transport (which closes its producers and consumers), gives back its
   * place on the worker, then emits `close`.
   */
  close(reason: PeerCloseReason = 'LEFT'): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
    this.consuming.clear();
    this.placement.lease.release();
    this.emit('close', reason);
    this.removeAllListeners();
  }
}
