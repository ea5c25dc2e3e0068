/**
 * One participant of a room on the server: its transports, producers and consumers. Every media
 * object it owns is closed by `close()`. The peer knows nothing about E2EE: it only sees
 * encrypted frames (mediasoup) and opaque relay payloads.
 */
import type { types } from 'mediasoup';
import type { MediaSource, NotificationName, NotificationOf } from '../../shared/protocol/index.js';
import { ProtocolError } from '../../shared/protocol/index.js';
import type { Logger } from '../logger.js';

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

/** Resource caps per peer: enough for camera + microphone + screen and a reconnect. */
export const MAX_TRANSPORTS_PER_PEER = 4;
export const MAX_PRODUCERS_PER_PEER = 6;

export class Peer {
  readonly transports = new Map<string, types.WebRtcTransport<TransportData>>();
  readonly producers = new Map<string, types.Producer<ProducerData>>();
  readonly consumers = new Map<string, types.Consumer>();
  private closedFlag = false;
  /** Transports whose connect() was called: mediasoup allows it once, and dtlsState stays 'new' until ICE. */
  private readonly connecting = new Set<string>();

  constructor(
    readonly id: string,
    readonly rtpCapabilities: types.RtpCapabilities,
    readonly notify: Notify,
    readonly log: Logger,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
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
    consumer.observer.on('close', () => this.consumers.delete(consumer.id));
  }

  /** Idempotent: closes every transport, which closes its producers and consumers. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }
}
