import { withoutTsxLoader } from '../../lib/executors/thread-flags.js';

describe('withoutTsxLoader()', () => {
  test('inherits the flags (undefined) when tsx is not among them', () => {
    expect(
      withoutTsxLoader(['--expose-gc', '--max-old-space-size=500', '--import', './hooks.mjs']),
    ).toBeUndefined();
  });

  test.each([
    [['--import', 'tsx'], []],
    [['--import=tsx'], []],
    [['--import', 'tsx/esm', '--no-warnings'], ['--no-warnings']],
    [
      [
        '--require',
        '/app/node_modules/tsx/dist/preflight.cjs',
        '--import',
        'file:///app/node_modules/tsx/dist/loader.mjs',
      ],
      [],
    ],
  ])('drops the tsx loader from %j', (flags, expected) => {
    expect(withoutTsxLoader(flags)).toEqual(expected);
  });

  test('keeps the flags a thread accepts and drops process-wide ones, once tsx is dropped', () => {
    expect(
      withoutTsxLoader([
        '--expose-gc',
        '--import',
        'tsx',
        '--import',
        './hooks.mjs',
        '--conditions',
        'development',
        '--max-old-space-size=500',
        '--experimental-vm-modules',
        '--enable-source-maps',
      ]),
    ).toEqual([
      '--import=./hooks.mjs',
      '--conditions=development',
      '--experimental-vm-modules',
      '--enable-source-maps',
    ]);
  });
});
