import { describe, expect, it } from 'vitest';
import { ConfigError, parseCamerasConfig, parseCamerasConfigText } from './camera-config.js';

const good = {
  defaults: { fps: 4 },
  cameras: [
    { id: 'cam-1', url: 'rtsp://127.0.0.1:8554/cam1', lines: [{ id: 'L1', points: [[0.5, 0], [0.5, 1]] }] },
    { id: 'cam-2', url: 'rtsp://127.0.0.1:8554/cam2', fps: 2, zones: [{ id: 'Z1', polygon: [[0, 0], [1, 0], [1, 1]] }] },
  ],
};

function issuesOf(data: unknown): string[] {
  try {
    parseCamerasConfig(data, 'cameras.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('camera config', () => {
  it('applies file defaults, then built-in defaults', () => {
    const [a, b] = parseCamerasConfig(good);
    expect(a!.fps).toBe(4);
    expect(b!.fps).toBe(2);
    expect(a!.inputSize).toBe(416);
    expect(a!.name).toBe('cam-1');
    expect(b!.lines).toEqual([]);
  });

  it('rejects unknown keys with their path', () => {
    const bad = structuredClone(good) as any;
    bad.cameras[0].lines[0].colour = 'red';
    bad.cameras[1].fsp = 3;
    expect(issuesOf(bad)).toEqual(
      expect.arrayContaining(['cameras[0].lines[0].colour: unknown key', 'cameras[1].fsp: unknown key']),
    );
  });

  it('rejects out-of-range values with their path', () => {
    const bad = structuredClone(good) as any;
    bad.cameras[0].lines[0].points[1][0] = 1.5;
    bad.cameras[1].inputSize = 400;
    const issues = issuesOf(bad);
    expect(issues.some((i) => i.startsWith('cameras[0].lines[0].points[1][0]:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('cameras[1].inputSize:'))).toBe(true);
  });

  it('rejects duplicate ids, degenerate lines and bad URLs', () => {
    const bad = structuredClone(good) as any;
    bad.cameras[1].id = 'cam-1';
    bad.cameras[0].lines[0].points = [[0.2, 0.2], [0.2, 0.2]];
    bad.cameras[0].url = 'ftp://x';
    const issues = issuesOf(bad);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cameras\[1\]\.id: duplicate camera id/),
        'cameras[0].lines[0].points: the two points must differ',
        expect.stringMatching(/^cameras\[0\]\.url:/),
      ]),
    );
  });

  it('reports missing required keys and bad class names', () => {
    const issues = issuesOf({ cameras: [{ id: 'x', lines: [{ id: 'L', points: [[0, 0], [1, 1]], classes: ['tank'] }] }] });
    expect(issues).toContain('cameras[0].url: is required');
    expect(issues.some((i) => i.startsWith('cameras[0].lines[0].classes[0]:'))).toBe(true);
  });

  it('reads YAML and reports syntax errors as config errors', () => {
    const cams = parseCamerasConfigText('cameras:\n  - id: a\n    url: rtsp://h/a\n', 'a.yaml');
    expect(cams[0]!.url).toBe('rtsp://h/a');
    expect(() => parseCamerasConfigText('cameras: [', 'b.yaml')).toThrow(/b\.yaml/);
  });
});

describe('zone rules in the camera config', () => {
  const withRules = (rules: unknown[], zones: unknown[] = [{ id: 'Z1', polygon: [[0, 0], [1, 0], [1, 1]] }]) => ({
    cameras: [
      { id: 'cam-a', url: 'rtsp://h/a' },
      { id: 'cam-b', url: 'rtsp://h/b', zones, rules },
    ],
  });

  it('parses rules per camera, defaulting to none', () => {
    const [a, b] = parseCamerasConfig(withRules([{ type: 'loitering', zone: 'Z1', minDwellSeconds: 60 }, { type: 'crowding', zone: 'Z1', maxPeople: 5 }]));
    expect(a!.rules).toEqual([]);
    expect(b!.rules).toEqual([
      { type: 'loitering', zone: 'Z1', minDwellSeconds: 60 },
      { type: 'crowding', zone: 'Z1', maxPeople: 5 },
    ]);
  });

  it('reports semantic errors with the full key path', () => {
    expect(
      issuesOf(
        withRules([
          { type: 'zone_intrusion', zone: 'Z9' },
          { type: 'crowding', zone: 'Z1', maxPeople: 2, clearAtOrBelow: 3 },
          { type: 'zone_intrusion', zone: 'Z1', schedule: { timeZone: 'Asia/Hanoi-Typo', windows: [{ start: '22:00', end: '05:00' }] } },
          { type: 'crowding', zone: 'Z1', maxPeople: 9 },
        ]),
      ),
    ).toEqual([
      'cameras[1].rules[0].zone: unknown zone "Z9"',
      'cameras[1].rules[1].clearAtOrBelow: must not exceed maxPeople',
      'cameras[1].rules[2].schedule.timeZone: unknown time zone "Asia/Hanoi-Typo"',
      'cameras[1].rules[3].id: duplicate rule id "crowding:Z1"',
    ]);
  });

  it('rejects unknown keys, unknown types and bad values only against the rule type given', () => {
    expect(issuesOf(withRules([{ type: 'loitering', zone: 'Z1', minDwellSeconds: 60, bogus: 1 }]))).toEqual(['cameras[1].rules[0].bogus: unknown key']);
    expect(issuesOf(withRules([{ type: 'teleport', zone: 'Z1' }]))).toEqual(['cameras[1].rules[0].type: is not an allowed value']);
    expect(issuesOf(withRules([{ zone: 'Z1' }]))).toEqual(['cameras[1].rules[0].type: is required and must be a string']);
    expect(issuesOf(withRules([{ type: 'loitering', zone: 'Z1' }]))).toEqual(['cameras[1].rules[0].minDwellSeconds: is required']);
    const bad = issuesOf(withRules([{ type: 'zone_intrusion', zone: 'Z1', classes: ['tank'], schedule: { windows: [{ start: '25:00', end: '05:00' }] } }]));
    expect(bad).toEqual(expect.arrayContaining([expect.stringMatching(/^cameras\[1\]\.rules\[0\]\.classes\[0\]: /), expect.stringMatching(/^cameras\[1\]\.rules\[0\]\.schedule\.windows\[0\]\.start: /)]));
    // rules are per camera, never defaults
    expect(issuesOf({ defaults: { rules: [] }, cameras: [] })).toEqual(['defaults.rules: unknown key']);
  });

  it('validates one camera (API input) with paths relative to the camera', async () => {
    const { parseCameraConfig } = await import('./camera-config.js');
    try {
      parseCameraConfig({ id: 'c', url: 'rtsp://h/c', zones: [{ id: 'Z1', polygon: [[0, 0], [1, 0], [1, 1]] }], rules: [{ type: 'crowding', zone: 'Z2', maxPeople: 1 }] });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([{ path: 'rules[0].zone', message: 'unknown zone "Z2"' }]);
    }
  });
});

describe('shipped example configuration', () => {
  it('validates', async () => {
    const { readFile } = await import('node:fs/promises');
    const file = new URL('../../config/cameras.example.yaml', import.meta.url);
    const cams = parseCamerasConfigText(await readFile(file, 'utf8'), 'cameras.example.yaml');
    expect(cams.length).toBeGreaterThan(0);
  });
});
