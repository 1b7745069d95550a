import { node, tsdags } from './run-cli.js';

// Each example runs to success both ways a user would run it: through the CLI, which imports its
// default export, and directly with tsx, where the module starts its own pipeline. The exit code
// is compared together with stderr so that a failure shows what the example said.
const examples: [string, RegExp][] = [
  ['ml.ts', /^Test accuracy: 91\.1% \(41\/45, k = 5\)$/m],
  [
    'wordcount.ts',
    /^417 words \(215 distinct\) in 3 files\nMost frequent: the 25, of 22, it 19, was 12, a 10$/m,
  ],
  ['classes.ts', /^\[Report\] north: mean 12\.83 °C over 12 readings \(min 10, max 14\.5\)$/m],
];

describe.each(examples)('examples/%s', (file, output) => {
  test(`tsdags run examples/${file} succeeds`, async () => {
    const { code, stdout, stderr } = await tsdags(['run', `examples/${file}`]);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toMatch(output);
  });

  test(`tsx examples/${file} succeeds`, async () => {
    const { code, stdout, stderr } = await node(['node_modules/tsx/dist/cli.mjs', `examples/${file}`]);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toMatch(output);
  });
});

test('tsx examples/seed.ts prints the six stages', async () => {
  const { code, stdout } = await node(['node_modules/tsx/dist/cli.mjs', 'examples/seed.ts']);
  expect(code).toBe(0);
  for (let n = 1; n <= 6; n++) expect(stdout).toContain(`Running stage ${n}\n`);
});

test('tsdags run examples/seed.ts runs the pipeline the module starts itself, each stage once', async () => {
  const { code, stdout, stderr } = await tsdags(['run', 'examples/seed.ts', '--no-store']);
  expect({ code, stderr }).toMatchObject({ code: 0 });
  for (let n = 1; n <= 6; n++) expect(stdout.match(new RegExp(`^Running stage ${n}$`, 'gm'))).toHaveLength(1);
  expect(stderr).toContain('✔ succeeded in ');
});
