import { InvalidArgumentError } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fail(field: string, value: unknown, what: string): never {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  throw new InvalidArgumentError(
    `Invalid event field "${field}" (${shown.slice(0, 80)}): ${what}.`,
  );
}

/**
 * Checks the envelope fields the database stores (not the payload, which the catalog checks):
 * id, channel, type, version, key, metadata, occurredAt, idempotencyKey.
 */
export function validateEnvelopeFields(event: unknown): void {
  if (typeof event !== 'object' || event === null) fail('(event)', event, 'must be an object');
  const e = event as Record<string, unknown>;
  if (typeof e.id !== 'string' || !UUID.test(e.id)) fail('id', e.id, 'must be a UUID');
  if (typeof e.channel !== 'string' || e.channel === '')
    fail('channel', e.channel, 'must be a non-empty string');
  if (typeof e.type !== 'string' || e.type === '')
    fail('type', e.type, 'must be a non-empty string');
  if (
    !Number.isSafeInteger(e.version) ||
    (e.version as number) < 1 ||
    (e.version as number) > 32767
  ) {
    fail('version', e.version, 'must be an integer from 1 to 32767');
  }
  if (e.key !== null && (typeof e.key !== 'string' || e.key.length > 1000)) {
    fail('key', e.key, 'must be null or a string of at most 1000 characters');
  }
  if (typeof e.metadata !== 'object' || e.metadata === null || Array.isArray(e.metadata)) {
    fail('metadata', e.metadata, 'must be a plain object');
  }
  if (!(e.occurredAt instanceof Date) || Number.isNaN(e.occurredAt.getTime())) {
    fail('occurredAt', e.occurredAt, 'must be a valid Date');
  }
  if (
    e.idempotencyKey !== null &&
    (typeof e.idempotencyKey !== 'string' ||
      e.idempotencyKey === '' ||
      e.idempotencyKey.length > 500)
  ) {
    fail(
      'idempotencyKey',
      e.idempotencyKey,
      'must be null or a non-empty string of at most 500 characters',
    );
  }
  // A function or symbol would serialise to nothing (or to null inside a batch): refuse it here.
  if (e.payload === undefined || typeof e.payload === 'function' || typeof e.payload === 'symbol') {
    fail('payload', e.payload, 'must be a JSON value');
  }
}
