/** The conformance suite's own contract: opting out needs a known case id and a reason. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryStore } from '../../src/stores/memory.ts';
import { defineStoreConformanceSuite, STORE_CONFORMANCE_CASES } from '../../src/testing/index.ts';

const factory = async () => ({ store: memoryStore() });

test('skipping an unknown case id is an error (a typo must not silently keep a case running or hidden)', () => {
  assert.throws(
    () => defineStoreConformanceSuite('typo', factory, { skip: { 'sweep/bonded-batch': 'typo' } }),
    /unknown case id/,
  );
});

test('skipping a case needs a reason', () => {
  assert.throws(
    () => defineStoreConformanceSuite('no reason', factory, { skip: { 'sweep/bounded-batch': '' } }),
    /needs a reason/,
  );
});

test('case ids are unique', () => {
  assert.equal(new Set(STORE_CONFORMANCE_CASES).size, STORE_CONFORMANCE_CASES.length);
});
