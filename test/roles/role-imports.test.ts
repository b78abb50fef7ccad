/**
 * A process loads the code of the roles it runs and no more (src/roles/context.ts):
 * a worker process, started to hold thousands of sleeping enrollments in as little
 * memory as it can, must not carry the API's web server, pages and diagrams. Read
 * from the static import graph of the source, so it holds for every path through it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Static `import … from` and `export … from` specifiers of a module (type-only imports left out: they load nothing). */
function specifiersOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
    if (!match[1]) found.push(match[2]!);
  }
  return found;
}

/** Every package a module loads, directly or through the project's own modules it imports. */
function packagesReachedFrom(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [path.join(root, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of specifiersOf(file)) {
      if (specifier.startsWith('.')) queue.push(path.resolve(path.dirname(file), specifier));
      else if (!specifier.startsWith('node:')) packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  }
  return packages;
}

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
