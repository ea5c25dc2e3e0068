// The Sequencer contract (test/contracts/sequencer.ts) on the single-node implementation.
import { InMemorySequencer } from '../../../sfu/mls/InMemorySequencer.js';
import { sequencerContract } from '../../contracts/sequencer.js';

sequencerContract('InMemorySequencer', () => new InMemorySequencer(64 * 1024));
