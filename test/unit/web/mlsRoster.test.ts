// The MLS roster in the call model: verifications remembered on this device, and the identity
// change alert for someone using a verified contact's name with another key.
import { describe, expect, it } from 'vitest';
import { identityFingerprint } from '../../../shared/mls/index.js';
import { CallModel } from '../../../web/call/CallModel.js';
import type { MlsRosterEntry } from '../../../web/call/mlsRoster.js';
import { applyMlsRoster } from '../../../web/call/mlsRoster.js';
import { VerifiedContacts } from '../../../web/identity/VerifiedContacts.js';

const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);

function entry(peerId: string, displayName: string, k: Uint8Array, self = false): MlsRosterEntry {
  return {
    peerId,
    displayName,
    identityKey: k,
    fingerprint: identityFingerprint(k),
    leafIndex: 0,
    self,
  };
}

/** Without IndexedDB (Node), verifications hold in memory: what this logic needs. */
function contacts(): VerifiedContacts {
  return new VerifiedContacts(undefined);
}

describe('MLS roster in the call model', () => {
  it('shows fingerprints, own and others’, and remembered verifications', async () => {
    const model = new CallModel();
    const c = contacts();
    await c.set(key(2), true, 'Bob');
    applyMlsRoster(
      model,
      [entry('a', 'Alice', key(1), true), entry('b', 'Bob', key(2)), entry('c', 'Carol', key(3))],
      c,
    );
    expect(model.selfFingerprint).toBe(identityFingerprint(key(1)).full);
    expect(model.participants.get('b')!.roster).toMatchObject({
      verified: true,
      fingerprint: identityFingerprint(key(2)).full,
    });
    expect(model.participants.get('c')!.roster!.verified).toBe(false);
    expect(model.participants.has('a')).toBe(false);
    expect(model.identityChanges).toEqual([]);
  });

  it('raises one alert for a verified name with another key, until answered', async () => {
    const model = new CallModel();
    const c = contacts();
    await c.set(key(2), true, 'Bob');
    const roster = [entry('a', 'Alice', key(1), true), entry('b2', ' bob ', key(9))];
    applyMlsRoster(model, roster, c);
    applyMlsRoster(model, roster, c);
    expect(model.identityChanges).toEqual([{ peerId: 'b2', displayName: ' bob ' }]);
    model.dismissIdentityChange('b2');
    applyMlsRoster(model, roster, c);
    expect(model.identityChanges).toEqual([]);
  });

  it('no alert once the new key is verified, for other names, or after the old one is withdrawn', async () => {
    const c = contacts();
    await c.set(key(2), true, 'Bob');
    expect(c.changedIdentity(key(9), 'Bob')).toBe(true);
    expect(c.changedIdentity(key(2), 'Bob')).toBe(false);
    expect(c.changedIdentity(key(9), 'Bobby')).toBe(false);
    expect(c.changedIdentity(key(9), '')).toBe(false);
    await c.set(key(9), true, 'Bob');
    expect(c.changedIdentity(key(9), 'Bob')).toBe(false);
    await c.set(key(2), false);
    await c.set(key(9), false);
    expect(c.changedIdentity(key(7), 'Bob')).toBe(false);
  });

  it('an alert goes when its participant leaves', async () => {
    const model = new CallModel();
    const c = contacts();
    await c.set(key(2), true, 'Bob');
    applyMlsRoster(model, [entry('b2', 'Bob', key(9))], c);
    expect(model.identityChanges).toHaveLength(1);
    model.removeParticipant('b2');
    expect(model.identityChanges).toEqual([]);
  });
});
