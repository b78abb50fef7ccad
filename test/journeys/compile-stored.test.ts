/**
 * The enrollment workflow compiles the definition `loadJourney` returns. Until
 * 2026-12 that was the stored row, which the workflow parsed itself; now the activity
 * parses it. Enrollments started before replay with the stored row recorded in their
 * history and no parse, so the stored row must compile to exactly the machine its
 * parse does: what Steward stores is a parse of the format (JSON round-tripped, keys
 * reordered as PostgreSQL's jsonb keeps them), and parsing it again changes nothing
 * the compiler reads. Only the order of keys inside the data a machine carries (a
 * condition's `field` before or after its operator) follows the input, and
 * conditions and effects read their keys by name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { compileJourney } from '../../src/journeys/compile.ts';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { journeyDefinition } from '../support/journey-arbitraries.ts';

/** As jsonb returns an object: keys shorter first, then bytewise; arrays keep their order. */
function asJsonb(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asJsonb);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((key) => [key, asJsonb((value as Record<string, unknown>)[key])]));
}

/** A compiled machine's definition as data, keys in one order. */
const machineOf = (definition: JourneyDefinition) => JSON.stringify(asJsonb(JSON.parse(JSON.stringify(compileJourney(definition).definition))));

/** What the workflow compiles from a stored version: the row as read (histories before the change) and its parse (after). */
function machines(definition: JourneyDefinition): { stored: string; parsed: string } {
  const stored = asJsonb(JSON.parse(JSON.stringify(definition))) as JourneyDefinition;
  return { stored: machineOf(stored), parsed: machineOf(JourneyDefinition.parse(stored)) };
}

describe('a stored journey version compiles as its parse does', () => {
  it('for every shipped journey', async () => {
    const catalog = await loadJourneyCatalog();
    expect(catalog.length).toBeGreaterThan(0);
    for (const { definition } of catalog) {
      const { stored, parsed } = machines(definition);
      expect(stored, definition.id).toBe(parsed);
    }
  });

  it('for generated journeys', () => {
    fc.assert(
      fc.property(journeyDefinition, (written) => {
        const { stored, parsed } = machines(JourneyDefinition.parse(written));
        expect(stored).toBe(parsed);
      }),
      { numRuns: 200 },
    );
  });
});
