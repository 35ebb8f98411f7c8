import { defineCatalog } from '@vsa/common-events';
import { InventoryRejected, InventoryReserved } from '../slices/inventory/contract.js';
import { OrderPlaced } from '../slices/orders/contract.js';
import { ShipmentScheduled } from '../slices/shipping/contract.js';

/** Every event the API publishes or consumes, from each slice's contract module. */
export const catalog = defineCatalog([
  OrderPlaced,
  InventoryReserved,
  InventoryRejected,
  ShipmentScheduled,
]);
