/**
 * AudioWorklet that measures one remote stream's loudness on the audio thread and tells the main
 * thread once per second: the RMS of the last second's samples. That is the whole main-thread cost
 * of active-speaker detection: one message per second per stream (a ScriptProcessor or an
 * AnalyserNode polled often enough to catch speech would cost a callback every few milliseconds).
 */

// The AudioWorkletGlobalScope's names (TypeScript's DOM lib does not have them).
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;

export interface LevelReport {
  /** RMS over the last second, 0…1. */
  readonly rms: number;
}

class LevelProcessor extends AudioWorkletProcessor {
  private sumOfSquares = 0;
  private samples = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel) {
      for (let i = 0; i < channel.length; i++) this.sumOfSquares += channel[i]! * channel[i]!;
      this.samples += channel.length;
    } else {
      this.samples += 128; // no input this quantum (track muted or ended): silence
    }
    if (this.samples >= sampleRate) {
      const report: LevelReport = { rms: Math.sqrt(this.sumOfSquares / this.samples) };
      this.port.postMessage(report);
      this.sumOfSquares = 0;
      this.samples = 0;
    }
    return true;
  }
}

registerProcessor('blindcall-level', LevelProcessor);
