/**
 * The mediasoup-client side of one join: the Device, one send and one receive WebRtcTransport,
 * and ICE restarts. Every transport is created with the settings that encoded transforms need;
 * producers and consumers (Publisher, Subscriber) attach a transform to every sender and
 * receiver before it carries a frame.
 */
import { privateAudioCapabilities } from './audioPrivacy.js';
import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { MediaSource } from '../../shared/protocol/index.js';
import { transportSettings, type TransformMode } from '../e2ee/support.js';
import { Emitter } from '../util/Emitter.js';
import { createLogger } from '../util/logger.js';
import type { IceOptions } from './iceOptions.js';
import type { SignallingClient } from './SignallingClient.js';

const log = createLogger('MediaSession');

export type Direction = 'send' | 'recv';

/** appData of our producers: what the server is told in `produce`. */
export interface PublishAppData {
  readonly source: MediaSource;
  /** Create the server-side producer paused (a muted microphone, for example). */
  readonly paused: boolean;
  readonly [key: string]: unknown;
}

type Events = {
  /** A transport's ICE/DTLS connection state changed. */
  connectionState: [direction: Direction, state: types.ConnectionState];
};

export class MediaSession extends Emitter<Events> {
  readonly device = new Device();
  private sendTransport: types.Transport | null = null;
  private recvTransport: types.Transport | null = null;
  private closed = false;

  constructor(
    private readonly signalling: SignallingClient,
    private readonly mode: TransformMode,
  ) {
    super();
  }

  async load(): Promise<types.RtpCapabilities> {
    const { routerRtpCapabilities } = await this.signalling.request('getRouterRtpCapabilities', {});
    // Constant-bitrate Opus, no DTX, no audio levels in clear (audioPrivacy.ts).
    await this.device.load({
      routerRtpCapabilities: privateAudioCapabilities(routerRtpCapabilities),
    });
    return this.device.rtpCapabilities;
  }

  /** Creates both transports (after join), with the join's TURN servers and ICE policy. */
  async createTransports(ice: IceOptions): Promise<void> {
    this.sendTransport = await this.createTransport('send', ice);
    this.recvTransport = await this.createTransport('recv', ice);
  }

  get send(): types.Transport {
    if (!this.sendTransport) throw new Error('send transport not created');
    return this.sendTransport;
  }

  get recv(): types.Transport {
    if (!this.recvTransport) throw new Error('recv transport not created');
    return this.recvTransport;
  }

  /** ICE restart on one transport (after a network change). */
  async restartIce(direction: Direction): Promise<void> {
    const transport = direction === 'send' ? this.sendTransport : this.recvTransport;
    if (!transport || transport.closed) return;
    const { iceParameters } = await this.signalling.request('restartIce', {
      transportId: transport.id,
    });
    await transport.restartIce({ iceParameters: iceParameters });
  }

  /** Idempotent: closes both transports (and with them every producer and consumer). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.removeAllListeners();
  }

  private async createTransport(direction: Direction, ice: IceOptions): Promise<types.Transport> {
    const info = await this.signalling.request('createTransport', { direction });
    const options: types.TransportOptions = {
      id: info.transportId,
      iceParameters: info.iceParameters,
      iceCandidates: info.iceCandidates,
      dtlsParameters: info.dtlsParameters,
      iceServers: ice.iceServers,
      iceTransportPolicy: ice.iceTransportPolicy,
      additionalSettings: transportSettings(this.mode),
    };
    const transport =
      direction === 'send'
        ? this.device.createSendTransport(options)
        : this.device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signalling
        .request('connectTransport', { transportId: transport.id, dtlsParameters })
        .then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const { source, paused } = appData as PublishAppData;
        this.signalling
          .request('produce', { transportId: transport.id, kind, rtpParameters, source, paused })
          .then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    transport.on('connectionstatechange', (state) => {
      log.debug('transport state', { direction, state });
      this.emit('connectionState', direction, state);
    });
    if (this.closed) transport.close();
    return transport;
  }
}
