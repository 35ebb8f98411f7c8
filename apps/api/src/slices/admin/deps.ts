import type { EventBus } from '@vsa/common-events';

/** What the admin slice touches: the bus's operator functions and the admin token. */
export interface AdminSliceOptions {
  /** `db` and `schema` serve the console's reads of recent events and dead letters' payloads. */
  readonly bus: Pick<EventBus, 'consumers' | 'catalog' | 'read' | 'db' | 'schema'>;
  /** `ADMIN_TOKEN` from settings; undefined refuses every admin call. */
  readonly token: string | undefined;
}
