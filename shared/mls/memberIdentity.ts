// A member's identity in one call's group, as ts-mls needs it: the room's envelope keys, the
// cipher suite, the basic credential and the signature key pair (the person's long-term Ed25519
// identity key when a seed is given), and the KeyPackages made from them. Also how a ts-mls
// refusal becomes an MlsLayerError.

import {
  defaultCapabilities,
  defaultLifetime,
  generateKeyPackageWithKey,
  type CiphersuiteImpl,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { ed25519 } from '@noble/curves/ed25519.js';
import { deriveEnvelopeKeys, type EnvelopeKeys } from './envelope.js';
import { MlsLayerError } from './errors.js';
import { DEFAULT_CHOICE, suiteImpl, type SuiteChoice } from './suite.js';

export interface MemberConfig {
  readonly roomId: string;
  /** The 32-byte room secret from the link's fragment. */
  readonly roomSecret: Uint8Array;
  /** Public identity bytes for the MLS basic credential (never logged). */
  readonly identity: Uint8Array;
  /**
   * The 32-byte Ed25519 seed of the person's long-term identity key, used as the MLS signature key
   * so the leaf's signature public key *is* the identity key (what people verify). Omitted: a fresh
   * key for this call.
   */
  readonly signatureSeed?: Uint8Array;
  readonly suite?: SuiteChoice;
}

export interface Identity {
  readonly keys: EnvelopeKeys;
  readonly impl: CiphersuiteImpl;
  readonly cfg: MemberConfig;
  readonly signature: { signKey: Uint8Array; publicKey: Uint8Array };
}

export async function makeIdentity(cfg: MemberConfig): Promise<Identity> {
  const impl = await suiteImpl(cfg.suite ?? DEFAULT_CHOICE);
  return {
    keys: deriveEnvelopeKeys(cfg.roomSecret, cfg.roomId),
    impl,
    cfg,
    signature: await signatureKeys(cfg, impl),
  };
}

async function signatureKeys(
  cfg: MemberConfig,
  impl: CiphersuiteImpl,
): Promise<{ signKey: Uint8Array; publicKey: Uint8Array }> {
  if (cfg.signatureSeed === undefined) return impl.signature.keygen();
  if (!(cfg.signatureSeed instanceof Uint8Array) || cfg.signatureSeed.length !== 32)
    throw new MlsLayerError('BAD_INPUT', 'signature seed must be 32 bytes');
  if (impl.name.endsWith('_Ed25519') === false)
    throw new MlsLayerError('BAD_INPUT', 'an identity seed needs an Ed25519 suite');
  const signKey = new Uint8Array(cfg.signatureSeed);
  return { signKey, publicKey: ed25519.getPublicKey(signKey) };
}

export async function keyPackage(
  id: Identity,
): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
  return generateKeyPackageWithKey(
    { credentialType: 'basic', identity: id.cfg.identity },
    defaultCapabilities(),
    defaultLifetime,
    [],
    id.signature,
    id.impl,
  );
}

export function mlsRejected(e: unknown): never {
  if (e instanceof MlsLayerError) throw e;
  // ts-mls messages name the failed check, never secrets; keep only the class and the check.
  const what = e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error';
  throw new MlsLayerError('MLS_REJECTED', `ts-mls refused the message (${what})`);
}
