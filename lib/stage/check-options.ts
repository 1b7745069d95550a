import { describeValue } from '../errors.js';
import type { StageOptions } from './stage.js';

type Checked = Pick<
  StageOptions,
  'retries' | 'retryDelay' | 'maxRetryDelay' | 'timeout' | 'cache' | 'priority' | 'thread' | 'resourceLimits'
>;

const limitNames = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];

/**
 * Checks the stage options a stage or a run may set, so a typo fails where it was made, not when
 * the stage runs. `where` names the call in the message (e.g. `stage()` or `run()`).
 */
export function checkStageOptions(options: Checked, where: string): void {
  const { retries, retryDelay, maxRetryDelay, timeout, cache, priority, thread, resourceLimits } = options;
  if (thread !== undefined && thread !== 'worker' && thread !== 'main') {
    throw new TypeError(
      `Expected \`thread\` in ${where} to be 'worker' or 'main', got ${describeValue(thread)}.`,
    );
  }
  if (resourceLimits !== undefined) {
    const entries =
      typeof resourceLimits === 'object' && resourceLimits !== null ? Object.entries(resourceLimits) : [];
    const bad = entries.find(([k, v]) => !limitNames.includes(k) || !(typeof v === 'number' && v > 0));
    if (entries.length === 0 || bad) {
      throw new TypeError(
        `Expected \`resourceLimits\` in ${where} to be an object of sizes in MB above 0 (${limitNames.join(', ')}), ` +
          `got ${bad ? `${bad[0]}: ${describeValue(bad[1])}` : describeValue(resourceLimits)}.`,
      );
    }
  }
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
    throw new TypeError(
      `Expected \`retries\` in ${where} to be a whole number from 0 up, got ${describeValue(retries)}.`,
    );
  }
  for (const [name, value] of [
    ['retryDelay', retryDelay],
    ['maxRetryDelay', maxRetryDelay],
  ] as const) {
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
      throw new TypeError(
        `Expected \`${name}\` in ${where} to be a number of ms from 0 up, got ${describeValue(value)}.`,
      );
    }
  }
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && timeout <= 2 ** 31 - 1)) {
    throw new TypeError(
      `Expected \`timeout\` in ${where} to be a number of ms above 0 (at most 2147483647), got ${describeValue(timeout)}.`,
    );
  }
  if (cache !== undefined && typeof cache !== 'boolean') {
    throw new TypeError(`Expected \`cache\` in ${where} to be true or false, got ${describeValue(cache)}.`);
  }
  if (priority !== undefined && !(typeof priority === 'number' && Number.isFinite(priority))) {
    throw new TypeError(
      `Expected \`priority\` in ${where} to be a finite number, got ${describeValue(priority)}.`,
    );
  }
}
