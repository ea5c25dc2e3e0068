/**
 * What the call's header says about its security, from the call's state: one of
 *
 *   warning     someone sent key-protocol input an honest member never sends (a message that
 *               fails authentication): named, per participant, until the call ends;
 *   verified    everyone proven to be in the call has been verified (their fingerprint
 *               compared, now or in an earlier call);
 *   unverified  encrypted end to end, but at least one person is not verified (or nobody is here
 *               yet): a server in the middle cannot be ruled out;
 *   pending     not in the call yet (the header shows the phase instead).
 *
 * Benign events (a resync after missed commits, a refused commit) never make a warning: CallModel
 * keeps them apart.
 */
import type { CallModel, SecurityAlert } from './CallModel.js';
import type { MlsWarningCode } from './MlsSession.js';

export type SecurityLevel = 'pending' | 'unverified' | 'verified' | 'warning';

export interface SecurityState {
  readonly level: SecurityLevel;
  /** Short text for the header ('' while pending). */
  readonly label: string;
  /** One sentence saying what the level means for the person, and what to do. */
  readonly detail: string;
  /** One line per alert, naming the participant concerned. */
  readonly alerts: readonly string[];
}

/** What each hostile warning means, said of the participant the server named as its sender. */
export const ALERT_TEXT: Readonly<Partial<Record<MlsWarningCode, string>>> = {
  BAD_MESSAGE: 'sent a key message that fails authentication or does not parse (refused)',
};

export type SecurityFacts = Pick<CallModel, 'phase' | 'participants' | 'alerts'>;

export function securityState(model: SecurityFacts): SecurityState {
  const alerts = model.alerts.map((a) => alertLine(a, model));
  if (alerts.length > 0) {
    return {
      level: 'warning',
      label: 'Warning: suspicious key messages',
      detail:
        'Key messages that an honest participant never sends were refused. Media stays ' +
        'encrypted, but someone — possibly the server — is interfering. Compare the security ' +
        'code before saying anything sensitive.',
      alerts,
    };
  }
  if (model.phase !== 'in-call') return { level: 'pending', label: '', detail: '', alerts };
  const proven = [...model.participants.values()].filter((p) => p.roster !== null);
  const unverified = proven.filter((p) => !p.roster!.verified);
  if (proven.length > 0 && unverified.length === 0) {
    return {
      level: 'verified',
      label: 'Encrypted · everyone verified',
      detail: 'End-to-end encrypted, and you verified everyone in the call.',
      alerts,
    };
  }
  return {
    level: 'unverified',
    label: 'Encrypted · not verified',
    detail:
      unverified.length === 0
        ? 'End-to-end encrypted. Nobody else is here yet.'
        : `End-to-end encrypted. Compare the security code with ${names(unverified)} to be ` +
          'sure nobody, not even the server, is in the middle.',
    alerts,
  };
}

function alertLine(a: SecurityAlert, model: SecurityFacts): string {
  const p = a.peerId === null ? undefined : model.participants.get(a.peerId);
  const who =
    p?.roster?.displayName ??
    (a.peerId === null ? 'Someone' : `A participant the server calls ${a.peerId}`);
  const what = ALERT_TEXT[a.code] ?? `sent a refused key message (${a.code})`;
  return `${who} ${what}${a.count > 1 ? ` (${a.count} times)` : ''}.`;
}

function names(ps: readonly { roster: { displayName: string } | null }[]): string {
  const list = ps.map((p) => p.roster!.displayName);
  return list.length <= 3
    ? list.join(', ')
    : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
}
