// Property: decrypt(encrypt(x)) = x for random frames, keys, KIDs, suites and layouts, over a
// sequence of frames per key (so counters past the inline range and multi-byte headers occur),
// and a frame sealed for one (KID, key) never opens under another key. Seeded: FUZZ_SEED replays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CipherSuite,
  SFrameContext,
  SFrameError,
  type CipherSuiteId,
  type FrameLayout,
} from '../../../shared/sframe/index.js';
import { fuzzScale, fuzzSeed } from '../../fuzz/seed.js';

const suite = fc.constantFrom<CipherSuiteId>(...Object.values(CipherSuite));
const key = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
  fc.uint8Array({ minLength: 64, maxLength: 64 }),
);
const kid = fc.oneof(
  fc.integer({ min: 0, max: 7 }),
  fc.integer({ min: 0, max: 0xffff }),
  fc.maxSafeNat(),
);
const layout = fc.oneof(
  fc.constantFrom<FrameLayout>('vp8', 'opus', 'whole'),
  fc.record({ clearBytes: fc.integer({ min: 0, max: 12 }) }),
);

describe('SFrame round trip (property)', () => {
  const seed = fuzzSeed('sframe round trip');

  it('decrypt(encrypt(x)) = x, with the sender’s KID and in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        suite,
        key,
        kid,
        layout,
        fc.array(fc.uint8Array({ minLength: 12, maxLength: 2000 }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (suiteId, keyBytes, kidValue, frameLayout, frames) => {
          const tx = new SFrameContext({ suite: suiteId });
          const rx = new SFrameContext({ suite: suiteId });
          await tx.setSenderKey(kidValue, keyBytes);
          await rx.addReceiverKey(kidValue, keyBytes, 'peer');
          for (const [i, frame] of frames.entries()) {
            const sealed = await tx.encrypt(frame, frameLayout);
            const opened = await rx.decrypt(sealed, frameLayout);
            expect(opened.plaintext).toEqual(frame);
            expect(opened).toMatchObject({ kid: kidValue, ctr: i, owner: 'peer' });
          }
        },
      ),
      { seed, numRuns: fuzzScale(400) },
    );
  });

  it('a frame never opens under a different key of the same KID', async () => {
    await fc.assert(
      fc.asyncProperty(
        key,
        key,
        kid,
        fc.uint8Array({ minLength: 10, maxLength: 500 }),
        async (k1, k2, kidValue, frame) => {
          fc.pre(k1.length !== k2.length || k1.some((b, i) => b !== k2[i]));
          const tx = new SFrameContext();
          const rx = new SFrameContext();
          await tx.setSenderKey(kidValue, k1);
          await rx.addReceiverKey(kidValue, k2, 'peer');
          const sealed = await tx.encrypt(frame, 'vp8');
          const err = await rx.decrypt(sealed, 'vp8').catch((e: unknown) => e);
          expect(err).toBeInstanceOf(SFrameError);
          expect((err as SFrameError).code).toBe('AUTH_FAILED');
        },
      ),
      { seed, numRuns: fuzzScale(200) },
    );
  });
});
