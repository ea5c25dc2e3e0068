// The encrypted roster as the host sees it: who is in it (verified peers and ourselves), the
// room's security code over it, and when to say so. Inputs mark it changed; at the end of each
// input `publish` emits rosterChanged once, and securityCodeChanged only if the code changed.

import type { AgentEffect, RosterEntry } from './events.js';
import type { Peer } from './Peer.js';
import type { RoomKeys } from './roomSecret.js';
import { roomSecurityCode, sameCode, type SecurityCode } from './securityCode.js';

export class RosterView {
  private changed = false;
  private lastCode: SecurityCode | null = null;

  constructor(
    private readonly room: RoomKeys,
    private readonly self: () => RosterEntry,
    private readonly members: () => readonly Peer[],
  ) {}

  markChanged(): void {
    this.changed = true;
  }

  /** Ourselves first, then the verified peers by peer id. */
  entries(): RosterEntry[] {
    const others = this.members().map((p) => ({
      peerId: p.peerId,
      displayName: p.displayName,
      identityKey: p.channel!.peer.identityKey,
      verified: p.userVerified,
      self: false,
    }));
    others.sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0));
    return [this.self(), ...others];
  }

  securityCode(): SecurityCode {
    return roomSecurityCode(
      this.room,
      this.entries().map((e) => e.identityKey),
    );
  }

  /** End of an input: tells the host what changed during it. */
  publish(emit: (e: AgentEffect) => void): void {
    if (!this.changed) return;
    this.changed = false;
    emit({ type: 'rosterChanged', roster: this.entries() });
    const code = this.securityCode();
    if (this.lastCode === null || !sameCode(code, this.lastCode)) {
      this.lastCode = code;
      emit({ type: 'securityCodeChanged', code });
    }
  }
}
