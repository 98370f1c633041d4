import { describe, expect, it } from 'vitest';
import { decodeYolov5 } from './yolov5-output.decoder.js';

describe('YOLOv5 decoded-head parsing', () => {
  it('turns cx,cy,w,h,obj,classes into boxes with obj × class scores', () => {
    const data = new Float32Array([
      50, 40, 20, 10, 0.9, 0.1, 0.8, // kept, class 1, score 0.72
      10, 10, 4, 4, 0.1, 0.9, 0.0, // objectness too low
      30, 30, 10, 10, 0.5, 0.4, 0.3, // 0.2 < 0.25
    ]);
    const out = decodeYolov5(data, 3, 7);
    expect(out).toHaveLength(1);
    expect(out[0]!.box).toEqual({ x: 40, y: 35, w: 20, h: 10 });
    expect(out[0]!.cls).toBe(1);
    expect(out[0]!.score).toBeCloseTo(0.72, 5);
    expect(decodeYolov5(data, 3, 7, { minScore: 0.1 })).toHaveLength(2);
  });

  it('rejects a stride without classes', () => {
    expect(() => decodeYolov5(new Float32Array(5), 1, 5)).toThrow(RangeError);
  });
});
