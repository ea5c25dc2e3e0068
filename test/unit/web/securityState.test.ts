// The call header's security state: encrypted but unverified, everyone verified, or a warning
// that names the participant concerned; benign network events never make a warning.
import { describe, expect, it } from 'vitest';
import { CallModel, type RosterEntry } from '../../../web/call/CallModel.js';
import { securityState } from '../../../web/call/securityState.js';

function entry(peerId: string, displayName: string, verified: boolean): RosterEntry {
  return {
    peerId,
    displayName,
    identityKey: new Uint8Array(32),
    verified,
    self: false,
    fingerprint: 'AAAAA-BBBBB-CCCCC-DDDDD',
  };
}

function inCall(roster: RosterEntry[]): CallModel {
  const model = new CallModel();
  model.setPhase('in-call');
  model.applyRoster(roster);
  return model;
}

describe('securityState', () => {
  it('is pending, with no label, before the call is in progress', () => {
    const model = new CallModel();
    model.setPhase('keys');
    expect(securityState(model)).toMatchObject({ level: 'pending', label: '' });
  });

  it('is unverified while anyone proven to be here is not verified, and names them', () => {
    const s = securityState(inCall([entry('a', 'Ada', true), entry('b', 'Bob', false)]));
    expect(s.level).toBe('unverified');
    expect(s.label).toBe('Encrypted · not verified');
    expect(s.detail).toContain('with Bob to be sure');
    expect(s.detail).not.toContain('Ada');
  });

  it('is unverified, not verified, when nobody else is here', () => {
    expect(securityState(inCall([])).level).toBe('unverified');
  });

  it('is verified once everyone proven to be here is verified', () => {
    const model = inCall([entry('a', 'Ada', true), entry('b', 'Bob', true)]);
    // Someone the server announced who has not proven the link's secret does not count.
    model.participant('ghost');
    expect(securityState(model)).toMatchObject({
      level: 'verified',
      label: 'Encrypted · everyone verified',
    });
  });

  it('is a warning, naming the participant, after a key message that fails authentication', () => {
    const model = inCall([entry('a', 'Ada', true), entry('b', 'Bob', true)]);
    model.warn('BAD_MESSAGE', 'b');
    model.warn('BAD_MESSAGE', 'b');
    model.warn('BAD_MESSAGE', 'x1');
    model.warn('BAD_MESSAGE', null);
    const s = securityState(model);
    expect(s.level).toBe('warning');
    expect(s.label).toBe('Warning: suspicious key messages');
    expect(s.alerts).toEqual([
      'Bob sent a key message that fails authentication or does not parse (refused) (2 times).',
      'A participant the server calls x1 sent a key message that fails authentication or does not parse (refused).',
      'Someone sent a key message that fails authentication or does not parse (refused).',
    ]);
    // The warning wins over "everyone verified", and outlasts the call phase.
    model.setPhase('reconnecting');
    expect(securityState(model).level).toBe('warning');
  });

  it('keeps resyncs, rejoins and refused commits out of the warnings', () => {
    const model = inCall([entry('b', 'Bob', false)]);
    for (const code of ['RESYNC', 'REJOIN', 'COMMIT_FAILED'] as const) model.warn(code, null);
    expect(model.networkWarnings).toBe(3);
    expect(model.warnings).toBe(3);
    expect(model.alerts).toEqual([]);
    expect(securityState(model).level).toBe('unverified');
  });
});
