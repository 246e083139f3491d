import { memoryStore } from '../../src/stores/memory.ts';
import { defineStoreConformanceSuite } from '../../src/testing/index.ts';

defineStoreConformanceSuite('memory', async () => ({ store: memoryStore() }), {
  skip: { 'errors/unavailable-is-typed': 'in-process: no backend to lose' },
});
