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

describe('shipped example configuration', () => {
  it('validates', async () => {
    const { readFile } = await import('node:fs/promises');
    const file = new URL('../../config/cameras.example.yaml', import.meta.url);
    const cams = parseCamerasConfigText(await readFile(file, 'utf8'), 'cameras.example.yaml');
    expect(cams.length).toBeGreaterThan(0);
  });
});
