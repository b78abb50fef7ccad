// Prisma CLI configuration. Steward applies its migrations itself (src/db/migrate.ts);
// the URL matters only to `prisma migrate status|deploy` run by hand against a server.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/steward' },
});
