import { stage, type Stage } from 'tsdags';

interface Row {
  id: number;
}

// Checked by `npm run typecheck`: the lines marked @ts-expect-error must not type-check.
test('types flow from upstream stages into arguments', () => {
  const load = stage(function load(): Row[] {
    return [{ id: 1 }];
  });
  const title = stage(function title(): string {
    return 'x';
  });
  const count = stage(function count(rows: Row[]) {
    return rows.length;
  });

  const counted: Stage<number> = count(load());
  // @ts-expect-error a Stage<string> is not a Row[] input
  count(title());
  // @ts-expect-error a Stage<number> is not a Stage<string>
  const wrong: Stage<string> = count(load());

  expect([counted.name, wrong.name]).toEqual(['count', 'count-3']);
});
