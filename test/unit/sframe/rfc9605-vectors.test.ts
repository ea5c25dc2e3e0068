// RFC 9605 Appendix C known-answer tests. Values copied from the RFC text: C.1 (a selection of
// headers), C.2 (AES-CTR+HMAC AEAD) and C.3 (SFrame encryption, all five cipher suites).
import { describe, expect, it } from 'vitest';
import {
  CipherSuite,
  SFrameContext,
  decodeHeader,
  deriveKeySalt,
  encodeHeader,
  aeadOpen,
  aeadSeal,
  importFrameKey,
  sframeEncrypt,
  suiteParams,
  type CipherSuiteId,
} from '../../../shared/sframe/index.js';
import { fromHex, toHex } from '../../../shared/sframe/bytes.js';
import { xorNonce } from '../../../shared/sframe/suites.js';

// C.1: a selection covering all four header forms and every KID/CTR length from 1 to 8 bytes.
const HEADER_VECTORS: [string, string, string][] = [
  ['0000000000000000', '0000000000000000', '00'],
  ['0000000000000000', '0000000000000001', '01'],
  ['0000000000000000', '00000000000000ff', '08ff'],
  ['0000000000000000', '0000000000000100', '090100'],
  ['0000000000000000', '0000000000ffffff', '0affffff'],
  ['0000000000000000', '0000000001000000', '0b01000000'],
  ['0000000000000000', '000000ffffffffff', '0cffffffffff'],
  ['0000000000000000', '0000010000000000', '0d010000000000'],
  ['0000000000000000', '00ffffffffffffff', '0effffffffffffff'],
  ['0000000000000000', 'ffffffffffffffff', '0fffffffffffffffff'],
  ['0000000000000001', '0000000000000000', '10'],
  ['0000000000000001', '0000000000000001', '11'],
  ['0000000000000001', '0000000000010000', '1a010000'],
  ['0000000000000001', '0100000000000000', '1f0100000000000000'],
  ['00000000000000ff', '0000000000000000', '80ff'],
  ['00000000000000ff', '0000000000000001', '81ff'],
  ['00000000000000ff', '00000000000000ff', '88ffff'],
  ['00000000000000ff', '0000000000000100', '89ff0100'],
  ['00000000000000ff', 'ffffffffffffffff', '8fffffffffffffffffff'],
  ['0000000000000100', '0000000000000000', '900100'],
  ['0000000000000100', '00000000000000ff', '980100ff'],
  ['0000000000000100', '0000000000000100', '9901000100'],
  ['000000000000ffff', '0000000000ffffff', '9affffffffff'],
  ['0000000000010000', '0000000000000001', 'a1010000'],
  ['0000000000ffffff', '0000000000010000', 'aaffffff010000'],
  ['0000000001000000', '00000000000000ff', 'b801000000ff'],
  ['00000000ffffffff', '0000000100000000', 'bcffffffff0100000000'],
  ['0000000100000000', '0000000000000000', 'c00100000000'],
  ['000000ffffffffff', '0001000000000000', 'ceffffffffff01000000000000'],
  ['0000010000000000', '0000000000000001', 'd1010000000000'],
  ['0000ffffffffffff', '00000000ffffffff', 'dbffffffffffffffffffff'],
  ['0001000000000000', '0000000000000000', 'e001000000000000'],
  ['00ffffffffffffff', '0000000000000100', 'e9ffffffffffffff0100'],
  ['0100000000000000', '0000000000000001', 'f10100000000000000'],
  ['0100000000000000', '0100000000000000', 'ff01000000000000000100000000000000'],
  ['ffffffffffffffff', '0000000000000000', 'f0ffffffffffffffff'],
  ['ffffffffffffffff', 'ffffffffffffffff', 'ffffffffffffffffffffffffffffffffff'],
];

describe('RFC 9605 C.1 header encoding', () => {
  for (const [kidHex, ctrHex, header] of HEADER_VECTORS) {
    it(`kid=0x${kidHex} ctr=0x${ctrHex}`, () => {
      const kid = BigInt('0x' + kidHex);
      const ctr = BigInt('0x' + ctrHex);
      expect(toHex(encodeHeader(kid, ctr))).toBe(header);
      const d = decodeHeader(fromHex(header));
      expect(d).toEqual({ kid, ctr, length: header.length / 2 });
    });
  }
});

interface SFrameVector {
  suite: CipherSuiteId;
  sframeKey: string;
  sframeSalt: string;
  nonce: string;
  ct: string;
}
// C.3 common inputs.
const KID = 0x123n;
const CTR = 0x4567n;
const BASE_KEY = '000102030405060708090a0b0c0d0e0f';
const METADATA = '4945544620534672616d65205747';
const PT = '64726166742d696574662d736672616d652d656e63';
const SFRAME_VECTORS: SFrameVector[] = [
  {
    suite: CipherSuite.AES_128_CTR_HMAC_SHA256_80,
    sframeKey:
      '3f7d9a7c83ae8e1c8a11ae695ab59314b367e359fadac7b9c46b2bc6f81f46e16b96f0811868d59402b7e870102720b3',
    sframeSalt: '50b29329a04dc0f184ac3168',
    nonce: '50b29329a04dc0f184ac740f',
    ct: '9901234567449408b6f490086165b9d6f62b24ae1a59a56486b4ae8ed036b88912e24f11',
  },
  {
    suite: CipherSuite.AES_128_CTR_HMAC_SHA256_64,
    sframeKey:
      'e2ec5c797540310483b16bf6e7a570d2a27d192fe869c7ccd8584a8d9dab91549fbe553f5113461ec6aa83bf3865553e',
    sframeSalt: 'e68ac8dd3d02fbcd368c5577',
    nonce: 'e68ac8dd3d02fbcd368c1010',
    ct: '99012345673f31438db4d09434e43afa0f8a2f00867a2be085046a9f5cb4f101d607',
  },
  {
    suite: CipherSuite.AES_128_CTR_HMAC_SHA256_32,
    sframeKey:
      '2c5703089cbb8c583475e4fc461d97d18809df79b6d550f78eb6d50ffa80d89211d57909934f46f5405e38cd583c69fe',
    sframeSalt: '38c16e4f5159700c00c7f350',
    nonce: '38c16e4f5159700c00c7b637',
    ct: '990123456717fc8af28a5a695afcfc6c8df6358a17e26b2fcb3bae32e443',
  },
  {
    suite: CipherSuite.AES_128_GCM_SHA256_128,
    sframeKey: 'd34f547f4ca4f9a7447006fe7fcbf768',
    sframeSalt: '75234edefe07819026751816',
    nonce: '75234edefe07819026755d71',
    ct: '9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb',
  },
  {
    suite: CipherSuite.AES_256_GCM_SHA512_128,
    sframeKey: 'd3e27b0d4a5ae9e55df01a70e6d4d28d969b246e2936f4b7a5d9b494da6b9633',
    sframeSalt: '84991c167b8cd23c93708ec7',
    nonce: '84991c167b8cd23c9370cba0',
    ct: '990123456794f509d36e9beacb0e261d99c7d1e972f1fed787d4049f17ca21353c1cc24d56ceabced279',
  },
];

describe('RFC 9605 C.3 SFrame encryption/decryption', () => {
  for (const v of SFRAME_VECTORS) {
    const suite = suiteParams(v.suite);
    it(`suite 0x000${v.suite}: key schedule and nonce`, () => {
      const { key, salt } = deriveKeySalt(suite, KID, fromHex(BASE_KEY));
      expect(toHex(key)).toBe(v.sframeKey);
      expect(toHex(salt)).toBe(v.sframeSalt);
      const nonce = new Uint8Array(12);
      xorNonce(salt, CTR, nonce);
      expect(toHex(nonce)).toBe(v.nonce);
    });
    it(`suite 0x000${v.suite}: encrypt(ctr, kid, metadata, pt) == ct`, async () => {
      const { key, salt } = deriveKeySalt(suite, KID, fromHex(BASE_KEY));
      const fk = { ...(await importFrameKey(suite, key, 'encrypt')), salt };
      const ct = await sframeEncrypt(suite, fk, KID, CTR, fromHex(METADATA), fromHex(PT));
      expect(toHex(ct)).toBe(v.ct);
    });
    it(`suite 0x000${v.suite}: SFrameContext decrypt(metadata, ct) == pt`, async () => {
      const ctx = new SFrameContext({ suite: v.suite });
      await ctx.addReceiverKey(Number(KID), fromHex(BASE_KEY));
      // Our frame layout carries the metadata as a clear prefix in front of the SFrame ciphertext.
      const frame = fromHex(METADATA + v.ct);
      const out = await ctx.decrypt(frame, { clearBytes: METADATA.length / 2 });
      expect(toHex(out.plaintext)).toBe(METADATA + PT);
      expect(out.kid).toBe(0x123);
      expect(out.ctr).toBe(0x4567);
    });
  }
});

describe('RFC 9605 C.2 AES-CTR + HMAC AEAD', () => {
  const key = fromHex(
    '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f',
  );
  const nonce = fromHex('101112131415161718191a1b');
  const aad = fromHex('4945544620534672616d65205747');
  const pt = fromHex('64726166742d696574662d736672616d652d656e63');
  const cases: [CipherSuiteId, string][] = [
    [
      CipherSuite.AES_128_CTR_HMAC_SHA256_80,
      '6339af04ada1d064688a442b8dc69d5b6bfa40f4bef0583e8081069cc60705',
    ],
    [
      CipherSuite.AES_128_CTR_HMAC_SHA256_64,
      '6339af04ada1d064688a442b8dc69d5b6bfa40f4be6e93b7da076927bb',
    ],
    [CipherSuite.AES_128_CTR_HMAC_SHA256_32, '6339af04ada1d064688a442b8dc69d5b6bfa40f4be09480509'],
  ];
  for (const [id, ct] of cases) {
    it(`suite 0x000${id}: Encrypt == ct, Decrypt == pt, tampering fails`, async () => {
      const suite = suiteParams(id);
      const enc = await importFrameKey(suite, key, 'encrypt');
      const dec = await importFrameKey(suite, key, 'decrypt');
      expect(toHex(await aeadSeal(suite, enc, nonce, aad, pt))).toBe(ct);
      expect(await aeadOpen(suite, dec, nonce, aad, fromHex(ct))).toEqual(pt);
      const bad = fromHex(ct);
      bad[3] = bad[3]! ^ 1;
      expect(await aeadOpen(suite, dec, nonce, aad, bad)).toBeNull();
      expect(await aeadOpen(suite, dec, nonce, fromHex('00'), fromHex(ct))).toBeNull();
    });
  }
});
