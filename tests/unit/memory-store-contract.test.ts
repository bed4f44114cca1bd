import { describe } from 'vitest';
import { MemoryBucket } from '../support/memory-store.ts';
import { defineStoreContract } from '../support/store-contract.ts';

// The engine's unit tests run on this double: it passes the same contract as the real stores.
describe('in-memory snapshot store (the unit tests’ double)', () => {
  defineStoreContract({ conditional: true, versioned: true }, () => new MemoryBucket());
});
