/**
 * The MLS roster: each member's leaf (peer id and display name from its credential, identity key,
 * fingerprint), and how the call model shows it, with the verifications remembered on this device
 * and an identity-change alert for someone who joins under a verified contact's name with another
 * identity key.
 */
import {
  decodeCredential,
  identityFingerprint,
  type GroupMember,
  type RoomCode,
  type RosterEntry as QueueEntry,
} from '../../shared/mls/index.js';
import { identityQrText } from '../../shared/mls/identityQr.js';
import type { VerifiedContacts } from '../identity/VerifiedContacts.js';
import type { CallModel } from './CallModel.js';

export interface MlsRosterEntry {
  readonly peerId: string;
  readonly displayName: string;
  /** The member's Ed25519 identity key (its MLS leaf signature key). */
  readonly identityKey: Uint8Array;
  /** ~100-bit per-person fingerprint of `identityKey`. */
  readonly fingerprint: RoomCode;
  readonly leafIndex: number;
  readonly self: boolean;
}

/** The group's members with a well-formed credential (a leaf without one is left out). */
export function groupRoster(member: GroupMember): MlsRosterEntry[] {
  return member.members().flatMap((m) => {
    const claims = decodeCredential(m.identity);
    if (claims === null || m.signaturePublicKey.length !== 32) return [];
    return [
      {
        peerId: claims.peerId,
        displayName: claims.displayName,
        identityKey: m.signaturePublicKey,
        fingerprint: identityFingerprint(m.signaturePublicKey),
        leafIndex: m.leafIndex,
        self: m.leafIndex === member.leafIndex,
      },
    ];
  });
}

/** The ChangeQueue's key for a member: its leaf and credential (peer id and identity key). */
export function queueEntry(r: MlsRosterEntry): QueueEntry {
  let hex = '';
  for (const b of r.identityKey) hex += b.toString(16).padStart(2, '0');
  return { leafIndex: r.leafIndex, key: `${r.peerId}/${hex}` };
}

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
