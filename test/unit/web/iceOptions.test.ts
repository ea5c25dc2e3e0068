// The client's ICE settings (web/call/iceOptions.ts) and its anonymous decrypt-failure report
// (web/call/DecryptReport.ts).
import { describe, expect, it } from 'vitest';
import { DecryptReport } from '../../../web/call/DecryptReport.js';
import { icePolicyFromSearch, iceOptions } from '../../../web/call/iceOptions.js';

describe('iceOptions', () => {
  it('uses the join response TURN servers, and relay only with ?ice=relay', () => {
    const servers = [{ urls: ['turn:127.0.0.1:3478'], username: '1:p', credential: 'c' }];
    expect(iceOptions(servers, '')).toEqual({
      iceServers: [{ urls: ['turn:127.0.0.1:3478'], username: '1:p', credential: 'c' }],
      iceTransportPolicy: 'all',
    });
    expect(iceOptions(undefined, '?ice=relay')).toEqual({
      iceServers: [],
      iceTransportPolicy: 'relay',
    });
    expect(icePolicyFromSearch('?x=1&ice=relay')).toBe('relay');
    expect(icePolicyFromSearch('?ice=all')).toBe('all');
    expect(icePolicyFromSearch('?ice=RELAY')).toBe('all');
  });
});

describe('DecryptReport', () => {
  it('reports increases by reason only, never negative counts', () => {
    const report = new DecryptReport();
    expect(report.take(new Map([['a', { AUTH_FAILED: 2 }]]))).toEqual([
      { reason: 'AUTH_FAILED', count: 2 },
    ]);
    expect(report.take(new Map([['a', { AUTH_FAILED: 2 }]]))).toEqual([]);
    const next = report.take(
      new Map([
        ['a', { AUTH_FAILED: 5, CLOSED: 9 }],
        ['b', { AUTH_FAILED: 1, UNKNOWN_KID: 4 }],
      ]),
    );
    // CLOSED is the receiver's own shutdown, not a failure; peers' counts are summed.
    expect(next).toEqual([
      { reason: 'AUTH_FAILED', count: 4 },
      { reason: 'UNKNOWN_KID', count: 4 },
    ]);
    // A transform that went away lowers the counter: a new baseline, not a negative report.
    expect(report.take(new Map([['a', { AUTH_FAILED: 1 }]]))).toEqual([]);
    expect(report.take(new Map([['a', { AUTH_FAILED: 3 }]]))).toEqual([
      { reason: 'AUTH_FAILED', count: 2 },
    ]);
  });
});
