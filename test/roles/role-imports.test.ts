/**
 * A process loads the code of the roles it runs and no more (src/roles/context.ts):
 * a worker process, started to hold thousands of sleeping enrollments in as little
 * memory as it can, must not carry the API's web server, pages and diagrams. Read
 * from the static import graph of the source, so it holds for every path through it.
 */
import { describe, expect, it } from 'vitest';
import { packagesReachedFrom } from '../support/import-graph.ts';

const apiPackages = ['fastify', '@fastify/swagger', '@fastify/cookie', '@fastify/rate-limit', 'fastify-type-provider-zod', 'elkjs'];

describe('what each role loads', () => {
  it('reads the graph it checks: the API role reaches the web server', () => {
    const reached = packagesReachedFrom('src/roles/api-role.ts');
    for (const name of apiPackages) expect(reached).toContain(name);
  });

  it('leaves the web server, the pages and the diagrams out of a worker process', () => {
    for (const entry of ['src/main.ts', 'src/stack.ts', 'src/roles/worker-role.ts']) {
      const reached = packagesReachedFrom(entry);
      expect(reached, entry).toContain('@temporalio/client');
      for (const name of apiPackages) expect(reached, `${entry} loads ${name}`).not.toContain(name);
    }
  });
});
