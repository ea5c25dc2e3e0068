/**
 * Recovery policy for the media path while the signalling socket stays up:
 *
 *   transport 'disconnected' → wait briefly (it often heals itself) → ICE restart
 *   transport 'failed'       → ICE restart now
 *   still not connected some seconds after a restart → give up on this join: rejoin with fresh keys
 *
 * Socket drops and the server's `reconnect` notification are handled by the engine (always a
 * rejoin). Timers are injectable for tests.
 */
import type { types } from 'mediasoup-client';
import { createLogger } from '../util/logger.js';
import type { Direction } from './MediaSession.js';

const log = createLogger('Reconnector');

export interface ReconnectorActions {
  restartIce(direction: Direction): Promise<void>;
  rejoin(reason: string): void;
}

export interface ReconnectorTiming {
  /** Grace period for 'disconnected' before restarting ICE. */
  readonly disconnectedGraceMs: number;
  /** How long a restarted transport may take to reconnect before we rejoin. */
  readonly restartTimeoutMs: number;
}

export const DEFAULT_TIMING: ReconnectorTiming = {
  disconnectedGraceMs: 2000,
  restartTimeoutMs: 10_000,
};

export class Reconnector {
  private readonly timers = new Map<Direction, ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(
    private readonly actions: ReconnectorActions,
    private readonly timing: ReconnectorTiming = DEFAULT_TIMING,
  ) {}

  onTransportState(direction: Direction, state: types.ConnectionState): void {
    if (this.closed) return;
    switch (state) {
      case 'connected':
      case 'new':
      case 'connecting':
        if (state === 'connected') this.clear(direction);
        return;
      case 'disconnected':
        if (!this.timers.has(direction)) {
          this.arm(direction, this.timing.disconnectedGraceMs, () => this.restart(direction));
        }
        return;
      case 'failed':
        this.clear(direction);
        this.restart(direction);
        return;
      case 'closed':
        this.clear(direction);
        return;
    }
  }

  /** Idempotent. */
  close(): void {
    this.closed = true;
    for (const direction of [...this.timers.keys()]) this.clear(direction);
  }

  private restart(direction: Direction): void {
    if (this.closed) return;
    log.info('restarting ICE', { direction });
    this.arm(direction, this.timing.restartTimeoutMs, () =>
      this.actions.rejoin(`ice-${direction}`),
    );
    this.actions.restartIce(direction).catch(() => {
      this.clear(direction);
      if (!this.closed) this.actions.rejoin(`ice-restart-failed-${direction}`);
    });
  }

  private arm(direction: Direction, ms: number, fn: () => void): void {
    this.clear(direction);
    this.timers.set(
      direction,
      setTimeout(() => {
        this.timers.delete(direction);
        fn();
      }, ms),
    );
  }

  private clear(direction: Direction): void {
    const t = this.timers.get(direction);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(direction);
  }
}
