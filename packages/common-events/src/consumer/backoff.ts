// The policy, its defaults, its schema and its arithmetic are common-db's (one backoff for db
// and events); this module parses a policy with this package's error code, in the message
// style of every other option (`parseOptions`).
import {
  type BackoffPolicy,
  backoffSchema,
  DEFAULT_BACKOFF,
  delayFor,
  type ResolvedBackoff,
} from '@vsa/common-db/backoff';
import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import { at } from '../option-schemas.js';

export { type BackoffPolicy, DEFAULT_BACKOFF, delayFor, type ResolvedBackoff };

/**
 * `backoff` of `subscribe`: common-db's policy schema with the consumer defaults (a strict
 * object, `maxMs >= initialMs`). @internal
 */
export const backoffOption: z.ZodType<ResolvedBackoff, BackoffPolicy | undefined> =
  backoffSchema(DEFAULT_BACKOFF);

/**
 * Fills in and checks a backoff policy.
 *
 * @throws {InvalidArgumentError} `VSA_EVENTS_INVALID_ARGUMENT` naming the bad or unknown field.
 */
export function resolveBackoff(policy?: BackoffPolicy): ResolvedBackoff {
  return parseOptions(backoffOption, policy, at('backoff'));
}

const retryDelayArguments = z.strictObject({
  policy: backoffOption,
  failures: z.int('must be an integer (failed attempts so far)'),
  random: z.custom<() => number>(
    (v) => typeof v === 'function',
    'must be a function returning a number in [0, 1]',
  ),
});

const drawMessage = 'must return a number in [0, 1]';
const draw = z.strictObject({
  'random()': z.number(drawMessage).min(0, drawMessage).max(1, drawMessage),
});

/**
 * Delay in ms before the next attempt after `failures` failed attempts (1 = the first
 * failure; 0 or less counts as the first). `policy` is checked and completed as
 * {@link resolveBackoff} does; `random` (default `Math.random`, injectable for tests) must
 * return a number in [0, 1].
 *
 * @throws {InvalidArgumentError} `VSA_EVENTS_INVALID_ARGUMENT` naming the bad argument.
 * @example
 * retryDelay({ initialMs: 100, jitter: 0 }, 3); // 400
 */
export function retryDelay(
  policy: BackoffPolicy | undefined,
  failures: number,
  random: () => number = Math.random,
): number {
  const where = 'retryDelay(policy, failures, random)';
  const args = parseOptions(retryDelayArguments, { policy, failures, random }, at(where));
  const r = args.random();
  // The draw is checked as the arguments are, so the message reads the same.
  parseOptions(draw, { 'random()': r }, at(where));
  return delayFor(args.policy, args.failures, r);
}
