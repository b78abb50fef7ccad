/** The journeys Steward ships: every one validates against the real templates and queues, and compiles. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogError, loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { compileJourney } from '../../src/journeys/compile.ts';
import { journeyToMermaid, journeyToSvg } from '../../src/journeys/diagram.ts';

describe('loadJourneyCatalog', () => {
  it('loads every shipped journey without errors, publishing only the first-gift journey on start', async () => {
    const catalog = await loadJourneyCatalog();
    expect(catalog.map(({ definition, publishOnStart }) => [definition.id, publishOnStart]).sort()).toEqual([
      ['event-registration', false],
      ['first-gift-thank-you', true],
      ['gift-receipt', false],
      ['lapsed-donor-winback', false],
      ['major-gift-prospect', false],
      ['new-donor-welcome', false],
      ['recurring-gift-recovery', false],
    ]);
    for (const { definition } of catalog) expect(compileJourney(definition).id).toBe(definition.id);
  });

  it('draws every shipped journey, with a box for each of its states', async () => {
    for (const { definition } of await loadJourneyCatalog()) {
      const mermaid = journeyToMermaid(definition);
      const svg = await journeyToSvg(definition);
      for (const state of Object.keys(definition.states)) {
        expect(mermaid, `${definition.id}: ${state}`).toMatch(new RegExp(`state (\\S+ <<choice>>|"${state}" as)`));
        expect(svg, `${definition.id}: ${state}`).toContain(`<title>${state}`);
      }
    }
  });

  it('refuses to start with a shipped journey that has an error, naming file, line and reason', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'steward-journeys-'));
    try {
      await writeFile(
        path.join(dir, 'broken.yaml'),
        'id: broken\nname: Broken\ntrigger: { event: donation }\ninitial: start\nstates:\n  start:\n    entry:\n      - { do: email, template: no-such-template }\n    after:\n      - { delay: 1d, to: end }\n  end: { final: true }\n',
      );
      const attempt = loadJourneyCatalog(dir);
      await expect(attempt).rejects.toBeInstanceOf(CatalogError);
      await expect(attempt).rejects.toThrow(/broken\.yaml:8:\d+: error: states\.start\.entry\[0\]\.template: unknown email template "no-such-template"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
