/** Codes of every error the bench harness throws on purpose. */
export type BenchErrorCode =
  | 'VSA_BENCH_INVALID_ARGUMENT'
  | 'VSA_BENCH_DUPLICATE_NAME'
  | 'VSA_BENCH_UNKNOWN_BENCHMARK'
  | 'VSA_BENCH_INVALID_MODULE'
  | 'VSA_BENCH_COUNT_MISMATCH';

/** A harness error: `code` says what went wrong, the message says what to do. */
export class BenchError extends Error {
  /** Stable machine-readable code, `VSA_BENCH_<WHAT>`. */
  readonly code: BenchErrorCode;

  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchError';
    this.code = code;
  }
}

/**
 * Fails the run when a measured section did not do what it claims (rows written, events read,
 * jobs completed), so a broken benchmark cannot report a fast figure.
 */
export function assertCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new BenchError(
      'VSA_BENCH_COUNT_MISMATCH',
      `${what}: expected ${expected}, got ${actual}. The measured section did not do all its work; fix the benchmark before trusting its figure.`,
    );
  }
}

/** `value` when it is a positive safe integer; otherwise `VSA_BENCH_INVALID_ARGUMENT` naming `what`. */
export function positive(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new BenchError(
      'VSA_BENCH_INVALID_ARGUMENT',
      `${what} must be a positive integer, got ${value}`,
    );
  }
  return value;
}
