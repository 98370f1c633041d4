/**
 * Camera configuration for the demo: each video becomes a simulated camera. The clips shipped in ../shared get the
 * counting lines their ground truth is stated for; any other video gets one horizontal line across the middle.
 */
import path from 'node:path';

interface DemoLine {
  id: string;
  name: string;
  points: [[number, number], [number, number]];
}

const KNOWN_LINES: Record<string, DemoLine[]> = {
  'bgslibrary_video.avi': [{ id: 'L1', name: 'x = 400 px', points: [[0.625, 0.0], [0.625, 1.0]] }],
  'bgslibrary_video02_highway.avi': [{ id: 'L1', name: 'right carriageway, y = 150 px', points: [[0.5, 0.625], [1.0, 0.625]] }],
  'intel_car-detection.mp4': [{ id: 'L1', name: 'aisle', points: [[0.0, 0.5], [1.0, 0.5]] }],
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
    cameras: videos.map((v) => ({
      id: cameraIdFor(v.file),
      name: path.basename(v.file),
      url: v.url,
      group: 'demo',
      lines: KNOWN_LINES[path.basename(v.file)] ?? [{ id: 'L1', name: 'middle', points: [[0, 0.5], [1, 0.5]] }],
    })),
  };
}
