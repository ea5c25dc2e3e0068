// Cipher suites and the crypto provider for ts-mls (RFC 9420 §17.1).
//
// Default: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (suite 1). A room's suite is fixed when the
// room is made (it will travel in the link); every member of the room uses the same one.
// Provider: ts-mls's noble provider (pure TypeScript @noble/*). In a first probe on the shared
// 2-core dev machine (100 members, batch-built tree, 5 commits), processing a commit took ~70-80 ms
// per member with noble against ~95-105 ms with the WebCrypto-based default provider, so noble is
// the default; `npx tsx bench/mls.ts --provider default` measures the other.

import {
  defaultCryptoProvider,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  nobleCryptoProvider,
  type CiphersuiteImpl,
  type CiphersuiteName,
} from 'ts-mls';

export const DEFAULT_SUITE: CiphersuiteName = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
/** Post-quantum hybrid (X-Wing KEM); needs the optional @hpke/hybridkem-x-wing peer package. */
export const XWING_SUITE: CiphersuiteName = 'MLS_256_XWING_AES256GCM_SHA512_Ed25519';

export type ProviderName = 'noble' | 'default';

export interface SuiteChoice {
  readonly suite: CiphersuiteName;
  readonly provider: ProviderName;
}

export const DEFAULT_CHOICE: SuiteChoice = { suite: DEFAULT_SUITE, provider: 'noble' };

const cache = new Map<string, Promise<CiphersuiteImpl>>();

/** The ts-mls implementation of a suite; one per (suite, provider) per process. */
export function suiteImpl(choice: SuiteChoice = DEFAULT_CHOICE): Promise<CiphersuiteImpl> {
  const key = `${choice.suite}/${choice.provider}`;
  let impl = cache.get(key);
  if (impl === undefined) {
    const provider = choice.provider === 'noble' ? nobleCryptoProvider : defaultCryptoProvider;
    impl = getCiphersuiteImpl(getCiphersuiteFromName(choice.suite), provider);
    impl.catch(() => cache.delete(key));
    cache.set(key, impl);
  }
  return impl;
}
