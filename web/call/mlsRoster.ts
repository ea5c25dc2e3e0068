/**
 * The MLS roster as the call model shows it: each member's leaf (peer id, display name, identity
 * key, fingerprint), with the verifications remembered on this device, and an identity-change
 * alert for someone who joins under a verified contact's name with another identity key.
 */
import { identityQrText } from '../../shared/mls/identityQr.js';
import type { VerifiedContacts } from '../identity/VerifiedContacts.js';
import type { CallModel } from './CallModel.js';
import type { MlsRosterEntry } from './MlsSession.js';

export type Contacts = Pick<VerifiedContacts, 'has' | 'changedIdentity'>;

export function applyMlsRoster(
  model: CallModel,
  roster: readonly MlsRosterEntry[],
  contacts: Contacts,
): void {
  const self = roster.find((r) => r.self);
  model.selfFingerprint = self?.fingerprint.full ?? null;
  model.selfQrCode = self ? identityQrText(self.identityKey) : null;
  model.applyRoster(
    roster.map((r) => ({
      peerId: r.peerId,
      displayName: r.displayName,
      identityKey: r.identityKey,
      verified: !r.self && contacts.has(r.identityKey),
      self: r.self,
      fingerprint: r.fingerprint.full,
    })),
  );
  for (const r of roster)
    if (!r.self && contacts.changedIdentity(r.identityKey, r.displayName))
      model.identityChanged({ peerId: r.peerId, displayName: r.displayName });
}
