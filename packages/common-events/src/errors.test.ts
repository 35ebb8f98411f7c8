import {
  ConflictError,
  InvalidArgumentError as InvalidArgumentConcept,
  InvalidInputError,
  NotFoundError,
  UnavailableError,
  VsaError,
} from '@vsa/common-errors';
import { describe, expect, it } from 'vitest';
import { ConsumerConfigMismatchError, ConsumerGroupNotFoundError } from './consumer/errors.js';
import {
  EventBufferClosedError,
  EventBusError,
  InvalidArgumentError,
  InvalidCursorError,
} from './errors.js';

describe('errors are @vsa/common-errors concepts with stable codes', () => {
  it.each([
    [
      new ConsumerGroupNotFoundError('g', 'c'),
      NotFoundError,
      'VSA_EVENTS_CONSUMER_GROUP_NOT_FOUND',
      404,
    ],
    [new InvalidArgumentError('bad'), InvalidArgumentConcept, 'VSA_EVENTS_INVALID_ARGUMENT', 500],
    [new InvalidCursorError('x'), InvalidInputError, 'VSA_EVENTS_INVALID_CURSOR', 400],
    [new EventBufferClosedError(), UnavailableError, 'VSA_EVENTS_BUFFER_CLOSED', 503],
    [
      new ConsumerConfigMismatchError('g', 'c', 1, 2),
      ConflictError,
      'VSA_EVENTS_CONSUMER_CONFIG_MISMATCH',
      409,
    ],
  ])('%s', (error, concept, code, status) => {
    expect(error).toBeInstanceOf(concept);
    expect(error).toBeInstanceOf(EventBusError);
    expect(error).toMatchObject({ code, statusCode: status, name: error.constructor.name });
  });

  it('EventBusError matches this package codes only', () => {
    const foreign = new VsaError({ code: 'VSA_DB_X', kind: 'internal', message: 'x' });
    expect(foreign).not.toBeInstanceOf(EventBusError);
    expect(new EventBusError('VSA_EVENTS_X', 'gone', 'x')).toMatchObject({ statusCode: 410 });
  });

  it('InvalidArgumentError matches the options errors parseOptions throws with this package code', () => {
    const parsed = new InvalidArgumentConcept('VSA_EVENTS_INVALID_ARGUMENT', 'f(options): x: bad');
    expect(parsed).toBeInstanceOf(InvalidArgumentError);
    expect(new InvalidArgumentConcept('VSA_DB_INVALID_ARGUMENT', 'x')).not.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});
