import { describe, expect, it } from 'vitest';
import { parseCamerasConfig } from '../../pipeline/config/camera-config.js';
import { DEMO_PEOPLE_CLIP, cameraIdFor, demoCamerasConfig } from './demo-cameras.js';

describe('demo cameras', () => {
  const videos = ['/s/traffic/bgslibrary_video02_highway.avi', `/s/${DEMO_PEOPLE_CLIP}`, '/s/traffic/bgslibrary_video.avi', '/home/me/my clip.mp4'];
  const cams = parseCamerasConfig(demoCamerasConfig(videos.map((file) => ({ file, url: `rtsp://127.0.0.1:8554/${cameraIdFor(file)}` }))), 'demo');

  it('is a valid cameras file, one camera per video', () => {
    expect(cams.map((c) => c.id)).toEqual(['bgslibrary_video02_highway', 'pets09_s2l1_vtest', 'bgslibrary_video', 'my-clip']);
  });

  it('gives the shipped clips zones with rules, so incidents show in the demo', () => {
    const [highway, pets] = cams;
    expect(highway!.rules).toEqual([expect.objectContaining({ type: 'zone_intrusion', zone: 'SHOULDER', classes: ['person'] })]);
    expect(highway!.lines.map((l) => l.id)).toEqual(['L1']);
    expect(pets!.rules!.map((r) => `${r.type}:${r.zone}`)).toEqual(['loitering:PLAZA', 'crowding:VIEW']);
    expect(pets!.zones.map((z) => z.id)).toEqual(['PLAZA', 'VIEW']);
  });

  it('keeps any other video to one counting line, no zones, no rules', () => {
    const [, , plain, other] = [...cams];
    for (const c of [plain!, other!]) {
      expect(c.zones).toEqual([]);
      expect(c.rules).toEqual([]);
      expect(c.lines).toHaveLength(1);
    }
  });
});
