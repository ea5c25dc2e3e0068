// Joining by Welcome (RFC 9420 §12.4.3.1): a newcomer publishes a sealed KeyPackage, a member
// commits its Add, and the Welcome that comes with the accepted commit makes the newcomer a member.

import { emptyPskIndex, joinGroup, type KeyPackage, type PrivateKeyPackage } from 'ts-mls';
import { openMessage, sealMessage } from './codec.js';
import { MlsLayerError } from './errors.js';
import { GroupMember } from './GroupMember.js';
import {
  keyPackage,
  makeIdentity,
  mlsRejected,
  type Identity,
  type MemberConfig,
} from './memberIdentity.js';

/** A newcomer waiting for a Welcome: its KeyPackage is what a member adds. */
export class WelcomeJoiner {
  private constructor(
    private readonly id: Identity,
    private readonly kp: { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage },
    /** The sealed KeyPackage to hand to a member (via the relay). */
    readonly keyPackage: Uint8Array,
  ) {}

  static async create(cfg: MemberConfig): Promise<WelcomeJoiner> {
    const id = await makeIdentity(cfg);
    const kp = await keyPackage(id);
    const sealed = sealMessage(id.keys, 'keyPackage', 0n, {
      wireformat: 'mls_key_package',
      keyPackage: kp.publicPackage,
    });
    return new WelcomeJoiner(id, kp, sealed);
  }

  async join(welcomeEnvelope: Uint8Array): Promise<GroupMember> {
    const { message } = openMessage(this.id.keys, welcomeEnvelope);
    if (message.wireformat !== 'mls_welcome')
      throw new MlsLayerError('ENVELOPE_MALFORMED', 'not a Welcome');
    try {
      const state = await joinGroup(
        message.welcome,
        this.kp.publicPackage,
        this.kp.privatePackage,
        emptyPskIndex,
        this.id.impl,
      );
      return new GroupMember(this.id, state);
    } catch (e) {
      mlsRejected(e);
    }
  }
}
