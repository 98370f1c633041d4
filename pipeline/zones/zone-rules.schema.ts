/**
 * The `rules: [...]` list of a camera (CameraSchema in pipeline/config/camera-config.schema.ts), each rule naming
 * one of the camera's zones; `validateZoneRuleRefs` checks what ajv cannot (zone references, unique ids, hysteresis,
 * time zones).
 *
 * ```yaml
 * rules:
 *   - { type: zone_intrusion, zone: Z1, classes: [person], schedule: { windows: [{ start: "22:00", end: "05:00" }] } }
 *   - { type: loitering, zone: Z1, minDwellSeconds: 60 }
 *   - { type: crowding, zone: Z2, maxPeople: 10, minDurationSeconds: 30 }
 * ```
 */
import { Type, type Static } from 'typebox';
import { OBJECT_CLASSES, type ObjectClass } from '../domain.types.js';
import { ScheduleError, WEEKDAYS, WeeklySchedule } from './weekly-schedule.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'letters, digits, _ . - (max 64)' });
// Unsafe only for the static type: a union built with .map() is typed `never` by TypeBox, the JSON is the same.
const ClassList = Type.Array(Type.Unsafe<ObjectClass>(Type.Union(OBJECT_CLASSES.map((c) => Type.Literal(c)))), { minItems: 1, uniqueItems: true });
const HhMm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time HH:MM, 24 h' });
const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);

export const ScheduleWindowSchema = Type.Object(
  {
    /** Days on which the window starts. @default every day */
    days: Type.Optional(Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), { minItems: 1, uniqueItems: true })),
    start: HhMm,
    /** Exclusive; an end not after the start runs overnight (22:00–05:00); equal to start = whole day. */
    end: HhMm,
  },
  { additionalProperties: false },
);

export const WeeklyScheduleSchema = Type.Object(
  {
    /** IANA time zone. @default 'Asia/Ho_Chi_Minh' */
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    windows: Type.Array(ScheduleWindowSchema, { minItems: 1, maxItems: 32 }),
  },
  { additionalProperties: false },
);

const Common = {
  /** Rule id, unique within the camera. @default `${type}:${zone}` */
  id: Type.Optional(Id),
  zone: Id,
  severity: Type.Optional(Severity),
};

export const ZoneIntrusionRuleSchema = Type.Object(
  {
    type: Type.Literal('zone_intrusion'),
    ...Common,
    /** @default the zone's classes, else ['person'] */
    classes: Type.Optional(ClassList),
    /** Only raise inside these windows. @default always */
    schedule: Type.Optional(WeeklyScheduleSchema),
    /** Consecutive frames inside before raising (flicker guard). @default 2 */
    minInsideFrames: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** A track must stay out this long before it can raise again, s. @default 10 */
    rearmSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

export const LoiteringRuleSchema = Type.Object(
  {
    type: Type.Literal('loitering'),
    ...Common,
    /** Dwell time that raises the incident, s. */
    minDwellSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
    /** Exits or occlusions up to this long do not restart the dwell clock, s. @default 3 */
    maxGapSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 3_600 })),
    /** @default the zone's classes, else ['person'] */
    classes: Type.Optional(ClassList),
  },
  { additionalProperties: false },
);

export const CrowdingRuleSchema = Type.Object(
  {
    type: Type.Literal('crowding'),
    ...Common,
    /** Raised when MORE than this many objects are in the zone... */
    maxPeople: Type.Integer({ minimum: 0, maximum: 100_000 }),
    /** ...continuously for this long, s. @default 10 */
    minDurationSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
    /** Cleared (and re-armed) when the count is at or below this... @default maxPeople - 1 (not below 0) */
    clearAtOrBelow: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    /** ...continuously for this long, s. @default minDurationSeconds */
    clearSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
    /** @default the zone's classes, else ['person'] */
    classes: Type.Optional(ClassList),
  },
  { additionalProperties: false },
);

export type ZoneIntrusionRuleConfig = Static<typeof ZoneIntrusionRuleSchema>;
export type LoiteringRuleConfig = Static<typeof LoiteringRuleSchema>;
export type CrowdingRuleConfig = Static<typeof CrowdingRuleSchema>;
export type ZoneRuleConfig = ZoneIntrusionRuleConfig | LoiteringRuleConfig | CrowdingRuleConfig;

/**
 * One rule, chosen by its `type`. A oneOf with a discriminator rather than TypeBox's anyOf: a validator with
 * `discriminator: true` (the config parser, the API) then reports only the errors of the rule type given — an
 * unknown key in a loitering rule is "rules[0].bogus: unknown key", not one error per rule type — and OpenAPI
 * documents it as a tagged union.
 */
export const ZoneRuleSchema = Type.Unsafe<ZoneRuleConfig>({
  type: 'object',
  oneOf: [ZoneIntrusionRuleSchema, LoiteringRuleSchema, CrowdingRuleSchema],
  discriminator: { propertyName: 'type' },
});
export const ZoneRulesSchema = Type.Array(ZoneRuleSchema, { maxItems: 128 });

/**
 * Semantic checks: rules name existing zones, ids are unique, hysteresis is sane, schedule time zones exist.
 * Paths start with `prefix` (the rules list's own path, e.g. `cameras[1].rules`).
 */
export function validateZoneRuleRefs(rules: readonly ZoneRuleConfig[], zoneIds: readonly string[], prefix = 'rules'): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const zones = new Set(zoneIds);
  const ids = new Set<string>();
  rules.forEach((r, i) => {
    if (!zones.has(r.zone)) issues.push({ path: `${prefix}[${i}].zone`, message: `unknown zone "${r.zone}"` });
    const id = ruleId(r);
    if (ids.has(id)) issues.push({ path: `${prefix}[${i}].id`, message: `duplicate rule id "${id}"` });
    ids.add(id);
    if (r.type === 'crowding' && r.clearAtOrBelow !== undefined && r.clearAtOrBelow > r.maxPeople) {
      issues.push({ path: `${prefix}[${i}].clearAtOrBelow`, message: 'must not exceed maxPeople' });
    }
    if (r.type === 'zone_intrusion' && r.schedule) {
      // Intl knows the time zones, ajv does not: a typo must fail here, not when the camera's stage is built.
      try {
        new WeeklySchedule(r.schedule);
      } catch (err) {
        if (!(err instanceof ScheduleError)) throw err;
        issues.push({ path: `${prefix}[${i}].schedule.timeZone`, message: err.message });
      }
    }
  });
  return issues;
}

export function ruleId(r: ZoneRuleConfig): string {
  return r.id ?? `${r.type}:${r.zone}`;
}
