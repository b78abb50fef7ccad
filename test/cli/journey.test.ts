/** The `steward journey` commands, run in-process as a user would type them, and once through the real bin. */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const journeys = path.join(root, 'journeys');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'steward-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function steward(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: { write: (text: string) => (out += text) }, err: { write: (text: string) => (err += text) } });
  return { code, out, err };
}

describe('steward journey validate', () => {
  it('passes every shipped journey', async () => {
    const files = (await readdir(journeys)).filter((file) => file.endsWith('.yaml')).map((file) => path.join(journeys, file));
    const result = await steward('journey', 'validate', ...files);
    expect(result.code).toBe(0);
    expect(result.out.trim().split('\n')).toHaveLength(files.length);
    expect(result.out).toContain('new-donor-welcome.yaml: ok (new-donor-welcome v2)');
    expect(result.err).toBe('');
  });

  it('exits 1 and prints each error with file, line and column', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'id: broken\nname: Broken\ntrigger: { event: donation }\ninitial: start\nstates:\n  start:\n    after:\n      - { delay: 2 weeks, to: end }\n  end: { final: true }\n');
    const result = await steward('journey', 'validate', file);
    expect(result.code).toBe(1);
    expect(result.err).toBe(`${file}:8:18: error: states.start.after[0].delay: "2 weeks" is not a duration: write e.g. 30m, 48h, 3d, 2w or ISO 8601 (P3D, PT48H)\n`);
    expect(result.out).toBe(`${file}: 1 error\n`);
  });
});

describe('steward journey validate, with what a journey file may be', () => {
  const welcome = () => ({
    id: 'strict',
    name: 'Strict',
    trigger: { event: 'donation' },
    initial: 'thanked',
    states: { thanked: { entry: [{ do: 'email', template: 'first-gift-thank-you' }], after: [{ delay: '1d', to: 'done' }] }, done: { final: true } },
  });

  it('reads a .json file as strict JSON: a trailing comma is an error with its place', async () => {
    const file = path.join(dir, 'trailing.json');
    await writeFile(file, JSON.stringify(welcome(), null, 2).replace(/"final": true\n/, '"final": true,\n'));
    const result = await steward('journey', 'validate', file);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error: not valid JSON: `));
  });

  it('refuses two files with the same journey id validated together', async () => {
    const [first, second] = [path.join(dir, 'one.json'), path.join(dir, 'two.json')];
    await writeFile(first, JSON.stringify(welcome()));
    await writeFile(second, JSON.stringify(welcome()));
    const result = await steward('journey', 'validate', first, second);
    expect(result.code).toBe(1);
    expect(result.out).toBe(`${first}: ok (strict v1)\n${second}: 1 error\n`);
    expect(result.err).toBe(`${second}: error: id: journey id "strict" is also used by ${first}\n`);
  });

  it('validates and draws a journey written in TypeScript', async () => {
    const file = path.join(journeys, 'first-gift-thank-you.ts');
    const validated = await steward('journey', 'validate', file);
    expect(validated).toMatchObject({ code: 0, out: `${file}: ok (first-gift-thank-you v2)\n`, err: '' });
    const drawn = await steward('journey', 'diagram', file);
    expect(drawn.code).toBe(0);
    expect(drawn.out).toContain('thanked --> completed : after 30d');
  });

  it('suggests the template meant, as the README shows', async () => {
    const file = path.join(dir, 'typo.json');
    const journey = welcome();
    journey.states.thanked.entry[0]!.template = 'thank-you';
    await writeFile(file, JSON.stringify(journey));
    const result = await steward('journey', 'validate', file);
    expect(result.err).toContain('unknown email template "thank-you" (did you mean "first-gift-thank-you"?)');
  });
});

describe('--help', () => {
  it.each([['journey'], ['journey', 'validate'], ['journey', 'simulate'], ['templates'], ['templates', 'preview'], ['tasks'], ['tasks', 'complete'], ['events', 'import']])(
    'steward %s … --help prints its usage and exits 0',
    async (...command) => {
      for (const help of ['--help', '-h']) {
        const result = await steward(...command, help);
        expect(result).toMatchObject({ code: 0, err: '' });
        expect(result.out).toContain(`steward ${command[0]} `);
      }
    },
  );
});

describe('steward journey diagram', () => {
  it('prints Mermaid by default and writes SVG on request', async () => {
    const mermaid = await steward('journey', 'diagram', path.join(journeys, 'new-donor-welcome.yaml'));
    expect(mermaid.code).toBe(0);
    expect(mermaid.out).toContain('thanked --> impact : after 7d');
    const output = path.join(dir, 'welcome.svg');
    const svg = await steward('journey', 'diagram', path.join(journeys, 'new-donor-welcome.yaml'), '--format', 'svg', '--output', output);
    expect(svg.code).toBe(0);
    expect(await readFile(output, 'utf8')).toMatch(/^<svg /);
  });

  it('refuses an unknown format with usage help', async () => {
    const result = await steward('journey', 'diagram', path.join(journeys, 'new-donor-welcome.yaml'), '--format', 'png');
    expect(result.code).toBe(2);
    expect(result.err).toContain('--format is mermaid or svg, not "png"');
  });
});

describe('steward journey simulate', () => {
  it('prints the timeline of a journey for the events given, or JSON', async () => {
    const timeline = path.join(dir, 'events.json');
    await writeFile(timeline, JSON.stringify([{ at: '2026-03-02T14:00:00Z', type: 'donation', data: { amount: 5000, currency: 'USD' } }]));
    const text = await steward('journey', 'simulate', path.join(journeys, 'major-gift-prospect.yaml'), '--timeline', timeline);
    expect(text.code).toBe(0);
    expect(text.out.split('\n').slice(0, 4)).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   donation {amount=5000, currency=USD} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> thanked  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   major-gift-thanks',
      '2026-03-02T14:00:00Z  +0s       task    major-gifts: Call to thank a major donor (due +2d)',
    ]);
    const json = await steward('journey', 'simulate', path.join(journeys, 'major-gift-prospect.yaml'), '--timeline', timeline, '--json');
    expect(JSON.parse(json.out).entries[2]).toEqual({ at: '2026-03-02T14:00:00.000Z', kind: 'email', enrollment: 1, template: 'major-gift-thanks' });
  });

  it('says where a timeline is wrong', async () => {
    const timeline = path.join(dir, 'bad-events.json');
    await writeFile(timeline, JSON.stringify([{ at: 'tomorrow', type: 'donation', data: {} }]));
    const result = await steward('journey', 'simulate', path.join(journeys, 'new-donor-welcome.yaml'), '--timeline', timeline);
    expect(result.code).toBe(2);
    expect(result.err).toContain('timeline events[0].at: "tomorrow" is neither an ISO date-time nor +<duration>');
  });
});

describe('steward journey forecast', () => {
  it('forecasts as JSON, showing progress on standard error', async () => {
    const result = await steward('journey', 'forecast', path.join(journeys, 'new-donor-welcome.yaml'), '--constituents', '50', '--days', '30', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ journey: 'new-donor-welcome', constituents: 50, days: 30, enrolled: 50 });
    expect(result.err).toContain('simulating: 100% (50/50)');
  });

  it('needs a positive number of constituents', async () => {
    const result = await steward('journey', 'forecast', path.join(journeys, 'new-donor-welcome.yaml'), '--constituents', 'many', '--days', '30');
    expect(result.code).toBe(2);
    expect(result.err).toContain('--constituents needs a positive whole number');
  });
});

describe('steward journey schema', () => {
  it('prints a JSON Schema editors can use for journey files', async () => {
    const result = await steward('journey', 'schema');
    const schema = JSON.parse(result.out);
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(expect.arrayContaining(['id', 'name', 'trigger', 'initial', 'states']));
    expect(schema.properties.trigger.properties.event.enum).toEqual(['donation', 'registration', 'drop-off', 'custom', 'refund']);
  });
});

describe('the steward executable', () => {
  it('runs from bin/ without a build step', async () => {
    const { stdout } = await promisify(execFile)(path.join(root, 'bin', 'steward.js'), ['journey', 'validate', path.join(journeys, 'event-registration.yaml')]);
    expect(stdout).toContain('event-registration.yaml: ok (event-registration v1)');
  });

  it('prints usage and exits 2 for an unknown command', async () => {
    const result = await steward('journeys');
    expect(result.code).toBe(2);
    expect(result.err).toContain('unknown command "journeys"');
  });
});
