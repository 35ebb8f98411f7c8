import { expect, it } from 'vitest';
import * as entry from './index.js';

// The public surface, pinned: a new export is a deliberate change made here too.
it('exports exactly the documented names', () => {
  expect(Object.keys(entry).sort()).toEqual([
    'ConflictError',
    'ERROR_KINDS',
    'ForbiddenError',
    'GoneError',
    'HTTP_STATUS_BY_KIND',
    'InternalError',
    'InvalidArgumentError',
    'InvalidInputError',
    'NotFoundError',
    'PreconditionFailedError',
    'RateLimitedError',
    'UnauthenticatedError',
    'UnavailableError',
    'UnprocessableError',
    'VsaError',
    'isVsaError',
    'parseOptions',
  ]);
});
