import { z } from 'zod';
import { text } from './text.js';
import { DutyStatusSchema, EquipmentStatusSchema } from './resources.js';
import { WorkOrderStatusSchema } from './dispatch.js';

/** `GET /api/v1/search?q=`: one box for work orders, sites, equipment and drivers (a few of each). */
export const SearchQuerySchema = z.object({
  q: text().trim().min(1, 'type something to search for').max(200),
  limit: z.coerce.number().int().min(1).max(20).default(5),
});
export type SearchQuery = z.infer<typeof SearchQuerySchema>;

export const SearchResultSchema = z.object({
  /** By number or description, and every work order at a site whose name or address matches. */
  workOrders: z.array(z.object({ id: z.uuid(), number: text(), description: text(), status: WorkOrderStatusSchema, siteId: z.uuid() })),
  sites: z.array(z.object({ id: z.uuid(), name: text(), address: text() })),
  equipment: z.array(z.object({ id: z.uuid(), assetTag: text(), name: text(), status: EquipmentStatusSchema })),
  drivers: z.array(z.object({ id: z.uuid(), name: text(), employeeNo: text().nullable(), dutyStatus: DutyStatusSchema })),
});
export type SearchResult = z.infer<typeof SearchResultSchema>;
