import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSvg } from '../../lib/viz/write-svg.js';
import { tempDir } from '../support/temp-dir.js';

describe('writeSvg()', () => {
  test('writes the file, creating its directories', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'docs', 'images', 'x.svg');
      await writeSvg(file, '<svg/>');
      expect(readFileSync(file, 'utf8')).toBe('<svg/>');
      await writeSvg(file, '<svg></svg>');
      expect(readFileSync(file, 'utf8')).toBe('<svg></svg>');
    } finally {
      dir.remove();
    }
  });
});
