// Prisma CLI config (prisma generate). Migrations run through `vsa-db` (Prisma's schema
// engine in WebAssembly over a driver adapter), so no datasource URL is needed here.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
