// Public surface of the MLS layer (RFC 9420 via ts-mls, SFrame keys per RFC 9605 §5.2).
export { MlsLayerError } from './errors.js';
export type { MlsErrorCode } from './errors.js';
export { DEFAULT_SUITE, XWING_SUITE, DEFAULT_CHOICE, suiteImpl } from './suite.js';
export type { SuiteChoice, ProviderName } from './suite.js';
export { deriveEnvelopeKeys, sealEnvelope, openEnvelope, ROOM_SECRET_LENGTH } from './envelope.js';
export type { EnvelopeKeys, OpenedEnvelope } from './envelope.js';
export { readHeader, verifyEnvelopeSignature, EnvelopeKind } from './envelopeHeader.js';
export type { EnvelopeHeader, EnvelopeKindName } from './envelopeHeader.js';
export { GroupMember } from './GroupMember.js';
export { WelcomeJoiner } from './WelcomeJoiner.js';
export type { ProcessOutcome, MemberInfo } from './GroupMember.js';
export type { MemberConfig } from './memberIdentity.js';
export type { SealedCommit } from './externalCommit.js';
export {
  EpochKeys,
  MAX_GRACE_MS,
  MAX_PREVIOUS_EPOCHS,
  MAX_SWITCH_TIMEOUT_MS,
} from './EpochKeys.js';
export type { EpochKeysOptions } from './EpochKeys.js';
export {
  makeMlsKid,
  parseMlsKid,
  exportSFrameBaseKey,
  SFRAME_EXPORTER_LABEL,
} from './sframeKeys.js';
export { roomCodeFromAuthenticator, ROOM_CODE_BITS, GLANCE_CHARS } from './roomCode.js';
export type { RoomCode } from './roomCode.js';
export { ChangeQueue, COALESCE_MS, committerRank, type RosterEntry } from './ChangeQueue.js';
export { Liveness, DEFAULT_LIVENESS_TIMEOUT_MS } from './Liveness.js';
export { identityFingerprint } from './fingerprint.js';
export { identityQrText, parseIdentityQr, IDENTITY_QR_PREFIX } from './identityQr.js';
export { encodeCredential, decodeCredential, NAME_MAX_BYTES } from './credential.js';
export type { CredentialClaims } from './credential.js';
