import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers (Temporal, PostgreSQL, SMTP); give them room.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
