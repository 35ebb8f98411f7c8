import type { Database, Transaction } from '@vsa/common-db';
import { describe, expectTypeOf, it } from 'vitest';
import { createEventBus, type EventBus } from './bus.js';
import type { EventCatalog } from './catalog/define-catalog.js';
import type { AnyEventDefinition } from './catalog/define-event.js';

interface FakeClient {
  readonly order: { create(data: { total: number }): Promise<{ id: string }> };
}

// Checked by `tsc` (the package's typecheck): the bus carries its database's client type.
describe('EventBus is typed by its database client', () => {
  it('bus.transaction and transactional handlers get Transaction<Client>', () => {
    expectTypeOf(createEventBus<AnyEventDefinition, FakeClient>)
      .parameter(0)
      .toHaveProperty('db')
      .toEqualTypeOf<Database<FakeClient>>();
    type Bus = EventBus<AnyEventDefinition, FakeClient>;
    expectTypeOf<Parameters<Parameters<Bus['transaction']>[0]>[0]>().toEqualTypeOf<
      Transaction<FakeClient>
    >();
    expectTypeOf<
      ReturnType<typeof createEventBus<AnyEventDefinition, FakeClient>>
    >().toEqualTypeOf<Bus>();
    const infer = (db: Database<FakeClient>, catalog: EventCatalog<AnyEventDefinition>) =>
      createEventBus({ db, catalog });
    expectTypeOf<ReturnType<typeof infer>>().toEqualTypeOf<Bus>();
  });
});
