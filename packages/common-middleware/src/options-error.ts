import { InvalidArgumentError, isVsaError } from '@vsa/common-errors';

/** Code of {@link InvalidMiddlewareOptionsError}. */
export const MIDDLEWARE_INVALID_OPTIONS = 'VSA_MIDDLEWARE_INVALID_OPTIONS';

/**
 * Thrown at registration when a plugin or factory of this package gets options it cannot use
 * (HTTP 500: a bug in the caller). The message names the function, the option and what was
 * wrong; fix the `app.register(...)` call. `details.issues` lists every problem of an options
 * object.
 */
export class InvalidMiddlewareOptionsError extends InvalidArgumentError {
  constructor(where: string, reason: string) {
    super(MIDDLEWARE_INVALID_OPTIONS, `${where}: ${reason}`);
  }

  // Options objects are parsed by `@vsa/common-errors`' parseOptions, which throws its
  // concept class with this code: `instanceof` holds for those too.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isVsaError(value) && value.code === MIDDLEWARE_INVALID_OPTIONS;
  }
}
