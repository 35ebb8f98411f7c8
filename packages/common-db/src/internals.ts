import type { Driver } from './driver.js';
import { invalidArgument } from './errors.js';
import type { Database } from './types.js';

const INTERNALS: unique symbol = Symbol.for('vsa.common-db.internals');

/** Attaches the driver to a Database so package-internal modules (migrations) reach it. */
export function attachDriver<D extends object>(db: D, driver: Driver): D {
  Object.defineProperty(db, INTERNALS, { value: driver, enumerable: false });
  return db;
}

/** The driver behind a Database created by `createDatabase`. */
export function driverOf(db: Database<unknown>): Driver {
  const driver =
    typeof db === 'object' && db !== null
      ? (db as unknown as Record<symbol, Driver | undefined>)[INTERNALS]
      : undefined;
  if (!driver) {
    throw invalidArgument('Expected a Database created by createDatabase() from @vsa/common-db');
  }
  return driver;
}
