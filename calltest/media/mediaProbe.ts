/**
 * What a person in the call sees and hears, measured inside the page:
 *
 * - Video: for every remote tile (`bc-tile[data-peer]`), the <video> element the person looks
 *   at is followed with requestVideoFrameCallback. Each presented frame is drawn to a small
 *   canvas and read back with the y4m fixture's `readFrame` (frame number from the stripe,
 *   colour from the picture). Gaps between presented frames (in-page timestamps) are the
 *   freezes.
 * - Audio: every remote audio element (`bc-media[data-peer]`) is fed to Web Audio; an
 *   AnalyserNode's waveform is read on every audio callback, and the onsets of Chromium's fake
 *   microphone beep (a short tone twice a second) are recorded.
 *
 * Installed as an init script, so it survives reloads; `window.__mediaProbe` reports.
 */
import type { InPage } from '../browsers/driver.js';
import { BLOCK, FRAME_BITS, SENDER_COLOURS, readFrame, type Rgb } from './y4m.js';
import { CAMERA, type Colour } from './fakeMedia.js';

export interface VideoSample {
  /** Epoch ms (performance.timeOrigin + rVFC `now`). */
  readonly t: number;
  readonly frame: number | null;
  readonly colour: Rgb | null;
}

export interface VideoReport {
  readonly peerId: string;
  readonly source: 'camera' | 'screen';
  readonly frames: number;
  /** Longest time between two presented frames since the last reset (ms). */
  readonly maxGapMs: number;
  /** Epoch ms when the longest gap ended. */
  readonly maxGapAt: number | null;
  /**
   * Every gap over 500 ms since the last reset: [start, end] (epoch ms) and the picture width
   * before and after it (a change means the SFU switched simulcast layers across the gap).
   */
  readonly longGaps: readonly (readonly [number, number, number, number])[];
  readonly lastFrameAt: number | null;
  readonly width: number;
  readonly height: number;
  /** The most recent samples, oldest first. */
  readonly samples: readonly VideoSample[];
}

export interface AudioReport {
  readonly peerId: string;
  /** Epoch ms of each beep onset since the last reset. */
  readonly onsets: readonly number[];
  /** Pitch of each beep in `onsets` (same index; peak of its summed spectrum), Hz. */
  readonly beepHz: readonly (number | null)[];
  /** Pitch of the last beep, Hz. */
  readonly lastBeepHz: number | null;
}

export interface ProbeReport {
  readonly now: number;
  readonly video: readonly VideoReport[];
  readonly audio: readonly AudioReport[];
}

interface ProbeConfig {
  readonly bits: number;
  readonly blockFraction: number;
  readonly keepSamples: number;
  /**
   * Listen to remote audio (beep onsets). Costs an AudioContext per page and a main-thread
   * callback every 256 samples per remote stream: leave it off where only video is checked.
   */
  readonly audio: boolean;
}

/** Runs in the page. Everything it needs is in its body or in `config`. */
function installProbe(config: ProbeConfig): void {
  type Win = typeof window & {
    __mediaProbe?: { report(): ProbeReport; reset(): void };
    __bcReadFrame?: typeof readFrame;
  };
  const w = window as Win;
  if (w.__mediaProbe) return;

  interface VideoEntry {
    longGaps: [number, number, number, number][];
    peerId: string;
    source: 'camera' | 'screen';
    el: HTMLVideoElement | null;
    frames: number;
    maxGapMs: number;
    maxGapAt: number | null;
    last: number | null;
    width: number;
    height: number;
    samples: VideoSample[];
  }
  interface AudioEntry {
    peerId: string;
    track: MediaStreamTrack | null;
    onsets: number[];
    beepHz: (number | null)[];
    loud: boolean;
    lastBeepHz: number | null;
    /** Summed power spectrum of the beep under way (its pitch, measured over all of it). */
    beepPower: Float64Array;
    beepWindows: number;
  }
  const videos = new Map<string, VideoEntry>();
  const audios = new Map<string, AudioEntry>();
  const canvas = document.createElement('canvas');
  canvas.width = 192;
  canvas.height = 108;
  const g = canvas.getContext('2d', { willReadFrequently: true })!;
  let audioCtx: AudioContext | null = null;

  function deepAll(root: Document | ShadowRoot, selector: string, out: Element[] = []): Element[] {
    for (const el of Array.from(root.querySelectorAll('*'))) {
      if (el.matches(selector)) out.push(el);
      if (el.shadowRoot) deepAll(el.shadowRoot, selector, out);
    }
    return out;
  }

  function sample(entry: VideoEntry, el: HTMLVideoElement, t: number): void {
    entry.width = el.videoWidth;
    entry.height = el.videoHeight;
    let frame: number | null = null;
    let colour: Rgb | null = null;
    if (el.videoWidth > 0 && w.__bcReadFrame) {
      g.drawImage(el, 0, 0, canvas.width, canvas.height);
      const px = g.getImageData(0, 0, canvas.width, canvas.height).data;
      const read = w.__bcReadFrame(
        px,
        canvas.width,
        canvas.height,
        config.bits,
        config.blockFraction,
      );
      frame = read?.frame ?? null;
      colour = read?.colour ?? null;
    }
    entry.samples.push({ t, frame, colour });
    if (entry.samples.length > config.keepSamples) entry.samples.shift();
  }

  function follow(entry: VideoEntry, el: HTMLVideoElement): void {
    entry.el = el;
    const onFrame = (now: number): void => {
      if (entry.el !== el) return; // the tile now shows another element
      const t = performance.timeOrigin + now;
      if (entry.last !== null && t - entry.last > entry.maxGapMs) {
        entry.maxGapMs = t - entry.last;
        entry.maxGapAt = t;
      }
      if (entry.last !== null && t - entry.last > 500)
        entry.longGaps.push([entry.last, t, entry.width, el.videoWidth]);
      entry.last = t;
      entry.frames++;
      sample(entry, el, t);
      el.requestVideoFrameCallback(onFrame);
    };
    el.requestVideoFrameCallback(onFrame);
  }

  function listen(entry: AudioEntry, track: MediaStreamTrack): void {
    entry.track = track;
    audioCtx ??= new AudioContext();
    const ctx = audioCtx;
    void ctx.resume();
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    // Pitch comes from the spectrum's peak, not from zero crossings: concealment noise and
    // Opus artefacts near zero add crossings (a 500 Hz beep once counted as 3445 Hz). 2048
    // samples give 23 Hz bins at 48 kHz; the peak is interpolated between bins.
    analyser.fftSize = 2048;
    analyser.smoothingTimeConstant = 0;
    // The processor only paces the reads (one per 256 samples, none missed); it outputs silence.
    const pace = ctx.createScriptProcessor(256, 1, 1);
    const mute = ctx.createGain();
    mute.gain.value = 0;
    source.connect(analyser);
    source.connect(pace);
    pace.connect(mute);
    mute.connect(ctx.destination);
    const buf = new Float32Array(analyser.fftSize);
    const spectrum = new Float32Array(analyser.frequencyBinCount);
    entry.beepPower = new Float64Array(analyser.frequencyBinCount);
    const binHz = ctx.sampleRate / analyser.fftSize;
    const addSpectrum = (): void => {
      analyser.getFloatFrequencyData(spectrum);
      for (let i = 0; i < spectrum.length; i++) entry.beepPower[i]! += 10 ** (spectrum[i]! / 10);
      entry.beepWindows++;
    };
    // The strongest bin between 150 Hz and 5 kHz, refined by a parabola through its neighbours
    // (on the dB scale).
    const peakHz = (): number | null => {
      const p = entry.beepPower;
      const lo = Math.ceil(150 / binHz);
      const hi = Math.min(p.length - 2, Math.floor(5000 / binHz));
      let best = lo;
      for (let i = lo; i <= hi; i++) if (p[i]! > p[best]!) best = i;
      if (!(p[best]! > 0)) return null;
      const a = Math.log10(p[best - 1]! || 1e-30);
      const b = Math.log10(p[best]!);
      const c = Math.log10(p[best + 1]! || 1e-30);
      const den = a - 2 * b + c;
      const shift = den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / den)) : 0;
      return Math.round((best + shift) * binHz);
    };
    pace.onaudioprocess = () => {
      if (entry.track !== track) {
        pace.onaudioprocess = null;
        source.disconnect();
        return;
      }
      analyser.getFloatTimeDomainData(buf);
      // Loudness of the newest 256 samples.
      let sum = 0;
      const from = buf.length - 256;
      for (let i = from; i < buf.length; i++) sum += buf[i]! * buf[i]!;
      const rms = Math.sqrt(sum / 256);
      if (!entry.loud && rms > 0.02) {
        entry.loud = true;
        entry.onsets.push(performance.timeOrigin + performance.now());
        entry.beepPower.fill(0);
        entry.beepWindows = 0;
        addSpectrum();
        entry.lastBeepHz = peakHz();
        entry.beepHz.push(entry.lastBeepHz);
      } else if (entry.loud && rms < 0.008) {
        entry.loud = false;
        entry.lastBeepHz = peakHz() ?? entry.lastBeepHz;
        if (entry.beepHz.length > 0) entry.beepHz[entry.beepHz.length - 1] = entry.lastBeepHz;
      } else if (entry.loud && rms > 0.02) {
        // Only windows loud all through: a starved audio thread leaves silent gaps in a beep.
        addSpectrum();
      }
    };
  }

  function scan(): void {
    // Remote tiles, and our own camera preview ('self'): a control for freezes of the page itself.
    for (const tile of deepAll(document, 'bc-tile[data-peer], bc-tile[data-self]')) {
      const peerId = tile.getAttribute('data-peer') ?? 'self';
      const source = tile.hasAttribute('screen') ? 'screen' : 'camera';
      const key = `${peerId}/${source}`;
      let entry = videos.get(key);
      if (!entry) {
        entry = {
          longGaps: [],
          peerId,
          source,
          el: null,
          frames: 0,
          maxGapMs: 0,
          maxGapAt: null,
          last: null,
          width: 0,
          height: 0,
          samples: [],
        };
        videos.set(key, entry);
      }
      const el =
        tile.shadowRoot?.querySelector('bc-media')?.shadowRoot?.querySelector('video') ?? null;
      if (el && el !== entry.el) follow(entry, el);
    }
    if (!config.audio) return;
    for (const media of deepAll(document, 'bc-media[data-peer]')) {
      const peerId = media.getAttribute('data-peer')!;
      const el = media.shadowRoot?.querySelector('audio');
      const track = (el?.srcObject as MediaStream | null)?.getAudioTracks()[0] ?? null;
      if (!track) continue;
      let entry = audios.get(peerId);
      if (!entry) {
        entry = {
          peerId,
          track: null,
          onsets: [],
          beepHz: [],
          loud: false,
          lastBeepHz: null,
          beepPower: new Float64Array(0),
          beepWindows: 0,
        };
        audios.set(peerId, entry);
      }
      if (entry.track !== track) listen(entry, track);
    }
  }
  setInterval(scan, 200);

  w.__mediaProbe = {
    report: () => ({
      now: performance.timeOrigin + performance.now(),
      video: [...videos.values()].map((v) => ({
        peerId: v.peerId,
        source: v.source,
        frames: v.frames,
        maxGapMs: Math.round(v.maxGapMs),
        maxGapAt: v.maxGapAt,
        longGaps: [...v.longGaps],
        lastFrameAt: v.last,
        width: v.width,
        height: v.height,
        samples: v.samples,
      })),
      audio: [...audios.values()].map((a) => ({
        peerId: a.peerId,
        onsets: [...a.onsets],
        beepHz: [...a.beepHz],
        lastBeepHz: a.lastBeepHz,
      })),
    }),
    reset: () => {
      for (const v of videos.values()) {
        v.frames = 0;
        v.maxGapMs = 0;
        v.maxGapAt = null;
        v.longGaps = [];
        v.samples = [];
      }
      for (const a of audios.values()) {
        a.onsets = [];
        a.beepHz = [];
      }
    },
  };
}

/**
 * esbuild (tsx, vitest) may wrap functions in `__name(fn, "name")` when it serialises them;
 * pages do not have that helper, so every injected script starts with this shim.
 */
export const NAME_SHIM = 'globalThis.__name ??= (f) => f;';

/** Init-script source: install with `openPage(browser, { initScripts: [probeScript()] })`. */
export function probeScript(options: { audio?: boolean } = {}): string {
  const config: ProbeConfig = {
    bits: FRAME_BITS,
    blockFraction: BLOCK / CAMERA.width,
    keepSamples: 90,
    audio: options.audio ?? true,
  };
  return `${NAME_SHIM}
window.__bcReadFrame = ${readFrame.toString()};
(${installProbe.toString()})(${JSON.stringify(config)});`;
}

export function probeReport(page: InPage): Promise<ProbeReport> {
  return page.evaluate(() => {
    const w = window as typeof window & { __mediaProbe?: { report(): ProbeReport } };
    if (!w.__mediaProbe) throw new Error('media probe not installed');
    return w.__mediaProbe.report();
  });
}

export function resetProbe(page: InPage): Promise<void> {
  return page.evaluate(() => {
    (window as typeof window & { __mediaProbe?: { reset(): void } }).__mediaProbe?.reset();
  });
}

/** The sender colour nearest to `c`, if it is close enough to be that sender's picture. */
export function classifyColour(c: Rgb | null): Colour | null {
  if (!c) return null;
  let best: Colour | null = null;
  let bestDistance = Infinity;
  for (const [name, ref] of Object.entries(SENDER_COLOURS) as [Colour, Rgb][]) {
    const d = Math.hypot(c.r - ref.r, c.g - ref.g, c.b - ref.b);
    if (d < bestDistance) {
      bestDistance = d;
      best = name;
    }
  }
  return bestDistance < 70 ? best : null;
}

export interface PictureCheck {
  readonly colour: Colour | null;
  /** Distinct frame numbers read in the window. */
  readonly distinctFrames: number;
  /** Samples whose stripe was readable and colour matched. */
  readonly matching: number;
  readonly samples: number;
}

/** Summarises the samples of one remote video taken after `since` (epoch ms). */
export function pictureCheck(
  report: VideoReport | undefined,
  expected: Colour,
  since = 0,
): PictureCheck {
  const samples = (report?.samples ?? []).filter((s) => s.t >= since);
  const colours = samples.map((s) => classifyColour(s.colour));
  const matching = samples.filter((s, i) => s.frame !== null && colours[i] === expected);
  const counts = new Map<Colour | null, number>();
  for (const c of colours) counts.set(c, (counts.get(c) ?? 0) + 1);
  const colour = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  return {
    colour,
    distinctFrames: new Set(matching.map((s) => s.frame)).size,
    matching: matching.length,
    samples: samples.length,
  };
}

/** Beeps heard after `since`: count and the median time between them. */
export function beepCheck(
  report: AudioReport | undefined,
  since = 0,
): { beeps: number; medianIntervalMs: number | null } {
  const onsets = (report?.onsets ?? []).filter((t) => t >= since);
  const gaps = onsets
    .slice(1)
    .map((t, i) => t - onsets[i]!)
    .sort((a, b) => a - b);
  return {
    beeps: onsets.length,
    medianIntervalMs: gaps.length ? Math.round(gaps[Math.floor(gaps.length / 2)]!) : null,
  };
}

/**
 * The median pitch of the beeps heard since `since`: one beep that the receiver concealed or
 * stretched (a starved machine) must not decide the check, the run of them does.
 */
export function beepPitch(audio: AudioReport, since: number): number | null {
  const heard = audio.onsets
    .map((t, i) => [t, audio.beepHz[i] ?? null] as const)
    .filter(([t, hz]) => t >= since && hz !== null)
    .map(([, hz]) => hz!)
    .sort((x, y) => x - y);
  if (heard.length === 0) return audio.lastBeepHz;
  return heard[Math.floor(heard.length / 2)]!;
}
