import { expect, it } from 'vitest';
import * as entry from './index.js';

// The public surface, pinned: a new export is a deliberate change made here too.
it('exports exactly the documented names', () => {
  expect(Object.keys(entry).sort()).toEqual([
    'BadRequestError',
    'ConflictError',
    'ForbiddenError',
    'GoneError',
    'InvalidMiddlewareOptionsError',
    'NotFoundError',
    'PreconditionFailedError',
    'SAFE_ID_PATTERN',
    'ServiceUnavailableError',
    'TooManyRequestsError',
    'UNSAFE_GENERATED_ID_WARNING',
    'UnauthorizedError',
    'UnprocessableEntityError',
    'createRequestIdGenerator',
    'errorHandlerPlugin',
    'genReqId',
    'isFastifyError',
    'isSafeId',
    'problemDetailsJsonSchema',
    'problemDetailsSchema',
    'problemResponses',
    'requestContextPlugin',
  ]);
});

it('the HTTP family are the concept classes of @vsa/common-errors', async () => {
  const errors = await import('@vsa/common-errors');
  const notFound = new entry.NotFoundError('Order 7 not found');
  expect(notFound).toBeInstanceOf(errors.NotFoundError);
  expect(notFound).toMatchObject({
    kind: 'not_found',
    statusCode: 404,
    code: 'VSA_HTTP_NOT_FOUND',
  });
  expect(new entry.ServiceUnavailableError('x', { retryAfterSeconds: 3 })).toBeInstanceOf(
    errors.UnavailableError,
  );
  expect(new entry.BadRequestError('x')).toBeInstanceOf(errors.InvalidInputError);
});
