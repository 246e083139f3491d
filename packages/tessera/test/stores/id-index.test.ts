import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdIndex } from '../../src/stores/shared/id-index.ts';

test('IdIndex: one id, then a set, then back to one id, then nothing', () => {
  const index = new IdIndex();
  index.add('alice', 'a');
  index.add('alice', 'a'); // the same id twice is one entry
  assert.deepEqual(index.ids('alice'), ['a']);
  index.add('alice', 'b');
  index.add('alice', 'c');
  assert.deepEqual(index.ids('alice').sort(), ['a', 'b', 'c']);
  index.remove('alice', 'b');
  index.remove('alice', 'a');
  assert.deepEqual(index.ids('alice'), ['c']);
  index.remove('alice', 'x'); // an id that is not filed changes nothing
  assert.deepEqual(index.ids('alice'), ['c']);
  index.add('alice', 'd');
  assert.deepEqual(index.ids('alice').sort(), ['c', 'd']);
  index.remove('alice', 'c');
  index.remove('alice', 'd');
  assert.deepEqual(index.ids('alice'), []);
  index.remove('alice', 'd');
  assert.deepEqual(index.ids('bob'), []);
});

test('IdIndex: ids() returns a copy the caller may keep while the index changes', () => {
  const index = new IdIndex();
  index.add('fam', 'a');
  index.add('fam', 'b');
  const ids = index.ids('fam');
  for (const id of ids) index.remove('fam', id);
  assert.deepEqual(ids.sort(), ['a', 'b']);
  assert.deepEqual(index.ids('fam'), []);
  index.add('k', 'z');
  index.clear();
  assert.deepEqual(index.ids('k'), []);
});
