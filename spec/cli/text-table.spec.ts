import pc from 'picocolors';
import { textTable } from '../../lib/cli/text-table.js';

const plain = pc.createColors(false);

describe('textTable()', () => {
  test('textTable() aligns columns on their widest cell, heading included, and pads no last column', () => {
    const table = textTable(
      [{ heading: 'stage' }, { heading: 'status' }, { heading: 'error' }],
      [
        ['load', 'succeeded', ''],
        ['a_longer_name', 'failed', 'the disk is full'],
      ],
      plain,
    );
    expect(table.split('\n')).toEqual([
      '  stage          status     error',
      '  load           succeeded',
      '  a_longer_name  failed     the disk is full',
    ]);
  });

  test('textTable() paints cells after padding, so colours do not shift the columns', () => {
    const table = textTable(
      [{ heading: 'a', paint: (padded) => `<${padded}>` }, { heading: 'b' }],
      [['xy', 'z']],
      plain,
    );
    expect(table.split('\n')).toEqual(['  a   b', '  <xy>  z']);
  });
});
