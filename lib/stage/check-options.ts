import { describeValue } from '../errors.js';
import type { StageOptions } from './stage.js';

type Checked = Pick<
  StageOptions,
  'retries' | 'retryDelay' | 'maxRetryDelay' | 'timeout' | 'cache' | 'priority'
>;

/**
 * Checks the stage options a stage or a run may set, so a typo fails where it was made, not when
 * the stage runs. `where` names the call in the message (e.g. `stage()` or `run()`).
 */
export function checkStageOptions(options: Checked, where: string): void {
  const { retries, retryDelay, maxRetryDelay, timeout, cache, priority } = options;
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
