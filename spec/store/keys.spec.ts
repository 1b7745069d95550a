import { InvalidStoreKeyError } from 'tsdags';
import { checkKey, checkRunId } from '../../lib/store/keys.js';

describe('checkRunId()', () => {
  test.each(['20261125T003512-3f9a1c', 'nightly_2', 'A'])('accepts %j', (id) => {
    expect(checkRunId(id)).toBe(id);
  });

  test.each(['../etc', '/abs', 'a/b', '..', '', '-rf', 'a b', 'x'.repeat(129), 'run:1'])(
    'rejects %j',
    (id) => {
      expect(() => checkRunId(id)).toThrow(InvalidStoreKeyError);
      expect(() => checkRunId(id)).toThrow(/^Expected a run id of letters, digits, '_' and '-'/);
    },
  );
});

describe('checkKey()', () => {
  test.each(['model', 'models/latest', 'a.b', 'dots...ok', 'ünïcode'])('accepts %j', (key) => {
    expect(checkKey(key)).toBe(key);
  });

  test.each([
    '../x',
    'a/../../b',
    '/etc/passwd',
    '\\\\server\\share',
    'C:\\x',
    '.',
    'a/./b',
    '',
    'nul\0byte',
  ])('rejects %j', (key) => {
    expect(() => checkKey(key)).toThrow(
      "Expected a store key that is a relative name without '.' or '..' segments (e.g. 'models/latest'), got",
    );
  });
});
