import { describe, expect, it } from 'vitest';
import { yunetInputGeometry } from './yunet.detector.js';

describe('yunetInputGeometry', () => {
  it('shrinks large images to the input side, never enlarges small ones, rounds sides up to 32', () => {
    const big = yunetInputGeometry(4000, 3000, 640);
    expect(big).toMatchObject({ width: 640, height: 480, contentWidth: 640, contentHeight: 480, padX: 0, padY: 0 });
    expect(big.scale).toBeCloseTo(0.16, 9);
    const small = yunetInputGeometry(330, 512, 640);
    expect(small).toMatchObject({ scale: 1, contentWidth: 330, contentHeight: 512, width: 352, height: 512 });
    const odd = yunetInputGeometry(1000, 710, 640);
    expect(odd.contentHeight).toBe(454);
    expect(odd.height).toBe(480);
    expect(odd.width % 32).toBe(0);
  });

  it('rejects empty images and tiny inputs', () => {
    expect(() => yunetInputGeometry(0, 10, 640)).toThrow(RangeError);
    expect(() => yunetInputGeometry(10, 10, 16)).toThrow(RangeError);
  });
});
