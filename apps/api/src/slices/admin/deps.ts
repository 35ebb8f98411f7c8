import type { EventBus } from '@vsa/common-events';

/** What the admin slice touches: the bus's operator functions and the admin token. */
export interface AdminSliceOptions {
  readonly bus: Pick<EventBus, 'consumers' | 'catalog' | 'read'>;
  /** `ADMIN_TOKEN` from settings; undefined refuses every admin call. */
  readonly token: string | undefined;
}
