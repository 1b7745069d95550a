import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { loadPipeline } from './load-pipeline.js';
import { divertStdout } from './write-hook.js';

interface VizFlags {
  output?: string;
  verbose?: boolean;
}

/** `tsdags viz <file>`: draws a pipeline file without running it. */
export function addVizCommand(program: Command): void {
  program
    .command('viz')
    .summary('draw a pipeline file as SVG, without running it')
    .description('Draw the pipeline a module default-exports as an SVG picture, without running it.')
    .argument('<file>', 'a .ts or .js module; TypeScript loads without a build step')
    .option('-o, --output <file>', 'where to write the SVG; "-" for stdout (default: <file name>.svg)')
    .option('--verbose', 'show stack traces')
    .action(vizFile);
}

async function vizFile(file: string, flags: VizFlags): Promise<void> {
  const output = flags.output ?? `${basename(file, extname(file))}.svg`;
  // With -o -, stdout is kept for the SVG: what the module prints as it loads goes to stderr.
  const stdout = output === '-' ? divertStdout() : undefined;
  const { pipeline } = await loadPipeline(file);
  // A cycle or a duplicate name is reported before drawing, with its path.
  pipeline.graph();
  if (stdout) {
    stdout.raw(await pipeline.visualize());
    return;
  }
  await pipeline.visualize(output);
  process.stderr.write(`wrote ${output}\n`);
}
