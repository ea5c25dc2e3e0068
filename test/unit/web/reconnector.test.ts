// ICE recovery policy: wait out short disconnections, restart ICE, and rejoin when that fails.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Reconnector } from '../../../web/call/Reconnector.js';

const timing = { disconnectedGraceMs: 2000, restartTimeoutMs: 10_000 };

describe('Reconnector', () => {
  let restarts: string[];
  let rejoins: string[];
  let restartResult: Promise<void>;
  let r: Reconnector;

  beforeEach(() => {
    vi.useFakeTimers();
    restarts = [];
    rejoins = [];
    restartResult = Promise.resolve();
    r = new Reconnector(
      {
        restartIce: (d) => {
          restarts.push(d);
          return restartResult;
        },
        rejoin: (reason) => rejoins.push(reason),
      },
      timing,
    );
  });
  afterEach(() => {
    r.close();
    vi.useRealTimers();
  });

  it('does nothing when a disconnection heals within the grace period', () => {
    r.onTransportState('recv', 'disconnected');
    vi.advanceTimersByTime(1500);
    r.onTransportState('recv', 'connected');
    vi.advanceTimersByTime(20_000);
    expect(restarts).toEqual([]);
    expect(rejoins).toEqual([]);
  });

  it('restarts ICE after the grace period, and is satisfied when the transport reconnects', () => {
    r.onTransportState('send', 'disconnected');
    vi.advanceTimersByTime(2000);
    expect(restarts).toEqual(['send']);
    r.onTransportState('send', 'connected');
    vi.advanceTimersByTime(20_000);
    expect(rejoins).toEqual([]);
  });

  it('restarts at once on failure and rejoins if the transport stays down', () => {
    r.onTransportState('recv', 'failed');
    expect(restarts).toEqual(['recv']);
    vi.advanceTimersByTime(9_999);
    expect(rejoins).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(rejoins).toEqual(['ice-recv']);
  });

  it('rejoins when the ICE restart request itself fails', async () => {
    restartResult = Promise.reject(new Error('server gone'));
    r.onTransportState('send', 'failed');
    await vi.advanceTimersByTimeAsync(0);
    expect(rejoins).toEqual(['ice-restart-failed-send']);
  });

  it('does nothing after close()', () => {
    r.close();
    r.onTransportState('send', 'failed');
    vi.advanceTimersByTime(20_000);
    expect(restarts).toEqual([]);
    expect(rejoins).toEqual([]);
  });
});
