// Public surface of the E2EE key protocol. The web client's key-management glue imports this; the
// frame worker imports only shared/sframe.
export { KeyAgent } from './KeyAgent.js';
export { KeyAgentError, DEFAULT_OPTIONS, isHostileWarning, NETWORK_WARNINGS } from './events.js';
export type {
  AgentEffect,
  KeyAgentConfig,
  KeyAgentOptions,
  KeyAgentErrorCode,
  RosterEntry,
  WarningCode,
} from './events.js';
export { IdentityKey } from './identity.js';
export {
  createRoomSecret,
  formatRoomFragment,
  parseRoomFragment,
  isValidId,
  ROOM_SECRET_LENGTH,
} from './roomSecret.js';
export { roomSecurityCode, pairwiseSecurityCode, sameCode, EMOJI } from './securityCode.js';
export type { SecurityCode } from './securityCode.js';
export { MAX_RELAY_PAYLOAD } from './wire.js';
