/**
 * The local camera and microphone: acquisition (each on its own, so one failing does not cost the
 * other), device lists, device switching, and the on/off switches used before and during a call.
 *
 * Camera off stops the track (the camera light goes out); microphone off only disables the track,
 * so unmuting is instant. Failures are classified into a few problems the UI explains.
 */
import { Emitter } from '../util/Emitter.js';
import { createLogger } from '../util/logger.js';

const log = createLogger('LocalMedia');

export type MediaProblem =
  'permission-denied' | 'no-device' | 'device-busy' | 'unsupported' | 'unknown';
export type LocalSource = 'camera' | 'microphone';

export interface DeviceChoice {
  readonly deviceId: string;
  readonly label: string;
}

export const CAMERA_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30 },
};
const MIC_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

export function classifyMediaError(err: unknown): MediaProblem {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'permission-denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no-device';
    case 'NotReadableError':
    case 'AbortError':
      return 'device-busy';
    case 'TypeError':
      return 'unsupported';
    default:
      return 'unknown';
  }
}

type Events = {
  change: [];
  /** A track was replaced (device switch, camera back on): the call re-sends it. */
  track: [source: LocalSource, track: MediaStreamTrack | null];
};

interface SourceState {
  track: MediaStreamTrack | null;
  problem: MediaProblem | null;
  enabled: boolean;
  deviceId: string | null;
}

export class LocalMedia extends Emitter<Events> {
  readonly camera: SourceState = { track: null, problem: null, enabled: true, deviceId: null };
  readonly microphone: SourceState = { track: null, problem: null, enabled: true, deviceId: null };
  cameras: DeviceChoice[] = [];
  microphones: DeviceChoice[] = [];
  private closed = false;
  private readonly onDeviceChange = (): void => void this.refreshDevices();

  constructor(
    private readonly media: MediaDevices | undefined = globalThis.navigator?.mediaDevices,
  ) {
    super();
    this.media?.addEventListener('devicechange', this.onDeviceChange);
  }

  /** Asks for both devices. Never throws: problems land in `camera.problem` / `microphone.problem`. */
  async start(): Promise<void> {
    await Promise.all([this.acquire('camera'), this.acquire('microphone')]);
    await this.refreshDevices();
  }

  async setEnabled(source: LocalSource, enabled: boolean): Promise<void> {
    const state = this[source];
    state.enabled = enabled;
    if (source === 'microphone') {
      if (state.track) state.track.enabled = enabled;
      else if (enabled) await this.acquire(source);
    } else if (enabled) {
      if (!state.track) await this.acquire(source);
    } else {
      this.replace(source, null);
    }
    this.emit('change');
  }

  async selectDevice(source: LocalSource, deviceId: string): Promise<void> {
    this[source].deviceId = deviceId;
    if (this[source].enabled || source === 'microphone') await this.acquire(source);
    this.emit('change');
  }

  /** Stops both tracks. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.media?.removeEventListener('devicechange', this.onDeviceChange);
    this.replace('camera', null);
    this.replace('microphone', null);
    this.removeAllListeners();
  }

  private async acquire(source: LocalSource): Promise<void> {
    const state = this[source];
    if (source === 'camera' && !state.enabled) return;
    if (!this.media?.getUserMedia) {
      state.problem = 'unsupported';
      this.emit('change');
      return;
    }
    const base = source === 'camera' ? CAMERA_CONSTRAINTS : MIC_CONSTRAINTS;
    const constraints = state.deviceId ? { ...base, deviceId: { exact: state.deviceId } } : base;
    try {
      const stream = await this.media.getUserMedia(
        source === 'camera' ? { video: constraints } : { audio: constraints },
      );
      const track = source === 'camera' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
      if (!track) throw new DOMException('no track', 'NotFoundError');
      // Closed, or the camera was switched off while it was opening: its light must go out.
      if (this.closed || (source === 'camera' && !state.enabled)) {
        track.stop();
        return;
      }
      if (source === 'microphone') track.enabled = state.enabled;
      if (source === 'camera') track.contentHint = 'motion';
      state.problem = null;
      state.deviceId = track.getSettings().deviceId ?? state.deviceId;
      this.replace(source, track);
    } catch (err) {
      state.problem = classifyMediaError(err);
      log.warn('could not open device', { source, problem: state.problem });
    }
    this.emit('change');
  }

  private replace(source: LocalSource, track: MediaStreamTrack | null): void {
    const state = this[source];
    const old = state.track;
    if (old === track) return;
    state.track = track;
    this.emit('track', source, track);
    old?.stop();
  }

  private async refreshDevices(): Promise<void> {
    if (!this.media?.enumerateDevices) return;
    try {
      const devices = await this.media.enumerateDevices();
      const pick = (kind: MediaDeviceKind, fallback: string): DeviceChoice[] =>
        devices
          .filter((d) => d.kind === kind && d.deviceId !== '')
          .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${fallback} ${i + 1}` }));
      this.cameras = pick('videoinput', 'Camera');
      this.microphones = pick('audioinput', 'Microphone');
      if (this.cameras.length === 0 && !this.camera.track && !this.camera.problem) {
        this.camera.problem = 'no-device';
      }
      if (this.microphones.length === 0 && !this.microphone.track && !this.microphone.problem) {
        this.microphone.problem = 'no-device';
      }
    } catch (err) {
      log.warn('could not list devices', { error: classifyMediaError(err) });
    }
    this.emit('change');
  }
}
