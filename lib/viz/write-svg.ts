import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes an SVG document to `file`, creating its directory first.
 *
 * @example
 * await writeSvg('docs/images/pipeline.svg', pipelineSvg(pipeline.graph()));
 */
export async function writeSvg(file: string, svg: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, svg, 'utf8');
}
