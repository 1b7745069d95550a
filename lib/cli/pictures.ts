import { TsdagsError } from '../errors.js';
import type { Pipeline } from '../pipeline.js';
import { RunResult } from '../run/run-result.js';

// The drawing API comes from lib/viz (pipeline.visualize, result.visualize, result.timeline); the
// CLI reaches it through these guards so that a build without it fails with a clear sentence.
interface Draws {
  visualize?(file?: string): Promise<string>;
  timeline?(file?: string): Promise<string>;
}

/** Throws before anything runs when `--svg` or `--timeline` cannot be honoured by this build. */
export function checkRunPictures(flags: { svg?: string; timeline?: string }): void {
  const proto = RunResult.prototype as unknown as Draws;
  if (flags.svg !== undefined && typeof proto.visualize !== 'function')
    throw missing('--svg', 'result.visualize()');
  if (flags.timeline !== undefined && typeof proto.timeline !== 'function') {
    throw missing('--timeline', 'result.timeline()');
  }
}

/** The pipeline's picture as SVG, written to `file` when given. */
export function drawPipeline(pipeline: Pipeline, file?: string): Promise<string> {
  const drawable = pipeline as unknown as Draws;
  if (typeof drawable.visualize !== 'function') throw missing('tsdags viz', 'pipeline.visualize()');
  return drawable.visualize(file);
}

/** The finished run's picture, stages coloured by state, written to `file`. */
export function drawRun(result: RunResult, file: string): Promise<string> {
  const drawable = result as unknown as Draws;
  if (typeof drawable.visualize !== 'function') throw missing('--svg', 'result.visualize()');
  return drawable.visualize(file);
}

/** The finished run's timeline (which stage ran when, on which thread), written to `file`. */
export function drawTimeline(result: RunResult, file: string): Promise<string> {
  const drawable = result as unknown as Draws;
  if (typeof drawable.timeline !== 'function') throw missing('--timeline', 'result.timeline()');
  return drawable.timeline(file);
}

function missing(what: string, api: string): TsdagsError {
  return new TsdagsError(
    'NOT_AVAILABLE',
    `${what} draws with ${api}, which this build of tsdags does not have yet: update tsdags, or leave ${what} out.`,
  );
}
