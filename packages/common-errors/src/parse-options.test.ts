import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidArgumentError } from './concepts.js';
import { parseOptions } from './parse-options.js';

const at = { where: 'subscribe(options)', code: 'VSA_EVENTS_INVALID_ARGUMENT' };
const schema = z.strictObject({
  group: z.string().min(1),
  batchSize: z.int().min(1).default(100),
  backoff: z
    .strictObject({ initialMs: z.number().min(0).default(100), maxMs: z.number().optional() })
    .default({ initialMs: 100 }),
  url: z.string().optional(),
});

function failure(input: unknown): InvalidArgumentError {
  try {
    parseOptions(schema, input, at);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('parseOptions accepted the input');
}

describe('parseOptions', () => {
  it('returns the resolved options with the schema defaults', () => {
    expect(parseOptions(schema, { group: 'billing' }, at)).toEqual({
      group: 'billing',
      batchSize: 100,
      backoff: { initialMs: 100 },
    });
  });

  it('names an unknown key and the accepted ones', () => {
    const error = failure({ group: 'billing', bachSize: 10 });
    expect(error.code).toBe('VSA_EVENTS_INVALID_ARGUMENT');
    expect(error.message).toBe(
      'subscribe(options): unknown option "bachSize" (accepted: group, batchSize, backoff, url)',
    );
    expect(error.details).toEqual({
      issues: [{ path: 'bachSize', message: expect.stringContaining('unknown option') }],
    });
  });

  it('names unknown keys of a nested object with that object’s keys', () => {
    const error = failure({ group: 'g', backoff: { initalMs: 5 } });
    expect(error.message).toContain('backoff: unknown option "initalMs"');
    expect(error.message).toContain('(accepted: initialMs, maxMs)');
  });

  it('lists every problem at once, with the value received for numbers', () => {
    const error = failure({ group: '', batchSize: 0 });
    expect(error.message).toMatch(/^subscribe\(options\): group: .+; batchSize: .+\(got 0\)$/);
    expect(error.details?.issues).toHaveLength(2);
  });

  it('never prints a string value (it may be a secret)', () => {
    const error = failure({ group: 'g', batchSize: 'postgres://u:S3cret@h/db' });
    expect(error.message).not.toContain('S3cret');
    expect(error.message).toContain('batchSize: ');
  });

  it('says when the options are not an object at all', () => {
    expect(failure('fast').message).toBe(
      'subscribe(options): expected an options object (got a string)',
    );
    expect(failure(undefined).message).toBe(
      'subscribe(options): expected an options object (not given)',
    );
  });

  it('names several unknown keys in one line and each in the details', () => {
    const error = failure({ group: 'g', foo: 1, bar: 2 });
    expect(error.message).toBe(
      'subscribe(options): unknown options "foo", "bar" (accepted: group, batchSize, backoff, url)',
    );
    expect(error.details?.issues).toEqual([
      { path: 'foo', message: expect.stringContaining('"foo"') },
      { path: 'bar', message: expect.stringContaining('"bar"') },
    ]);
  });
});
