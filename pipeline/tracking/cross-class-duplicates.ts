/**
 * The detector runs NMS per class, so one vehicle often comes out twice: as a car AND as a truck (or a bus), with
 * nearly the same box. Fed to a tracker, the two boxes become two tracks and the vehicle is counted twice. Boxes of
 * classes that the detector confuses with each other are therefore suppressed across classes before tracking.
 * A person and the bicycle or motorcycle they ride are two real objects and are never merged. An `unknown` box (a
 * moving blob) that sits on a classified box is the same object seen by two detectors, whatever the class.
 */
import type { Detection, ObjectClass } from '../domain.types.js';
import { iou } from '../geometry/box.geometry.js';

/** Classes the COCO detector confuses with each other; a class in no group is only compared with itself. */
export const CONFUSABLE_CLASS_GROUPS: ReadonlyArray<readonly ObjectClass[]> = [
  ['car', 'truck', 'bus'],
  ['bicycle', 'motorcycle'],
];

function groupOf(cls: ObjectClass, groups: ReadonlyArray<readonly ObjectClass[]>): number {
  const i = groups.findIndex((g) => g.includes(cls));
  return i >= 0 ? i : -1;
}

/**
 * Keeps, among detections of one confusable group overlapping with IoU ≥ `iouThreshold`, only the highest-scoring
 * one. Same-class pairs are left alone (the detector's NMS already decided on them). Order of the output: by score,
 * highest first.
 */
export function suppressCrossClassDuplicates(
  detections: readonly Detection[],
  iouThreshold = 0.7,
  groups: ReadonlyArray<readonly ObjectClass[]> = CONFUSABLE_CLASS_GROUPS,
): Detection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    const g = groupOf(d.cls, groups);
    const confusable = (k: Detection) =>
      k.cls !== d.cls && (k.cls === 'unknown' || d.cls === 'unknown' || (g >= 0 && groupOf(k.cls, groups) === g));
    const duplicate = kept.some((k) => confusable(k) && iou(k.box, d.box) >= iouThreshold);
    if (!duplicate) kept.push(d);
  }
  return kept;
}
