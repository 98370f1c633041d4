/**
 * Camera configuration for the demo: each video becomes a simulated camera. The clips shipped in ../shared get the
 * counting lines their ground truth is stated for, and zones with rules so that incidents appear within a minute or
 * two: the motorway's hard shoulder is closed to people (zone intrusion), the PETS09 campus crossroads watches for
 * loitering and crowding. Any other video gets one horizontal line across the middle and no rules.
 *
 * The rules are generic operator settings (round thresholds, zones drawn on the scene's layout), not fitted to
 * frames of the clips; only the loitering and crowding thresholds are shorter than a city would use, so that a demo
 * shows them soon.
 */
import path from 'node:path';
import type { CountingLineConfig, ZoneConfig } from '../../pipeline/config/camera-config.schema.js';
import type { ZoneRuleConfig } from '../../pipeline/zones/zone-rules.schema.js';

interface DemoScene {
  lines: CountingLineConfig[];
  zones?: ZoneConfig[];
  rules?: ZoneRuleConfig[];
}

/** The demo's PETS09-S2L1 clip (under ../shared/data), played when no video list is given. */
export const DEMO_PEOPLE_CLIP = path.join('people_pets09', 'pets09_s2l1_vtest.mp4');

const KNOWN_SCENES: Record<string, DemoScene> = {
  'bgslibrary_video.avi': { lines: [{ id: 'L1', name: 'x = 400 px', points: [[0.625, 0.0], [0.625, 1.0]] }] },
  'bgslibrary_video02_highway.avi': {
    lines: [{ id: 'L1', name: 'right carriageway, y = 150 px', points: [[0.5, 0.625], [1.0, 0.625]] }],
    // Between the right carriageway's solid edge line and the crash barrier, from the bottom of the picture to
    // where the shoulder gets too small to see people on.
    zones: [{ id: 'SHOULDER', name: 'Hard shoulder (right carriageway)', polygon: [[0.71, 1.0], [0.8, 0.7], [0.88, 0.4], [0.97, 0.4], [0.93, 0.7], [0.89, 1.0]] }],
    rules: [{ type: 'zone_intrusion', zone: 'SHOULDER', classes: ['person'], severity: 'critical' }],
  },
  'intel_car-detection.mp4': { lines: [{ id: 'L1', name: 'aisle', points: [[0.0, 0.5], [1.0, 0.5]] }] },
  'pets09_s2l1_vtest.mp4': {
    lines: [],
    zones: [
      // The paved crossroads and footpaths (not the lawns).
      { id: 'PLAZA', name: 'Crossroads (paved area)', polygon: [[0, 0.25], [0.6, 0.2], [1, 0.1], [1, 0.9], [0.7, 0.75], [0.45, 0.55], [0, 0.5]] },
      { id: 'VIEW', name: 'Whole view', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] },
    ],
    rules: [
      { type: 'loitering', zone: 'PLAZA', minDwellSeconds: 20 },
      { type: 'crowding', zone: 'VIEW', maxPeople: 4, minDurationSeconds: 5 },
    ],
  },
};

export function cameraIdFor(file: string): string {
  return path
    .basename(file)
    .replace(/\.[^.]+$/, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 60);
}

export function demoCamerasConfig(videos: Array<{ file: string; url: string }>): unknown {
  return {
    defaults: { fps: 5, inputSize: 416 },
    cameras: videos.map((v) => {
      const scene = KNOWN_SCENES[path.basename(v.file)] ?? { lines: [{ id: 'L1', name: 'middle', points: [[0, 0.5], [1, 0.5]] }] };
      return {
        id: cameraIdFor(v.file),
        name: path.basename(v.file),
        url: v.url,
        group: 'demo',
        lines: scene.lines,
        ...(scene.zones ? { zones: scene.zones } : {}),
        ...(scene.rules ? { rules: scene.rules } : {}),
      };
    }),
  };
}
