/**
 * The camera configuration file (YAML or JSON), validated strictly at the edge: unknown keys and bad values fail
 * with the path of the offending key (e.g. `cameras[1].lines[0].points[1][0]`).
 */
import { Type, type Static } from 'typebox';
import { OBJECT_CLASSES } from '../domain.types.js';
import { ZoneRulesSchema, type ZoneRuleConfig } from '../zones/zone-rules.schema.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'letters, digits, _ . - (max 64)' });
const Norm = Type.Number({ minimum: 0, maximum: 1, description: 'normalised image coordinate 0..1' });
const NormPoint = Type.Tuple([Norm, Norm], { description: '[x, y], normalised 0..1' });
const ClassList = Type.Array(Type.Union(OBJECT_CLASSES.map((c) => Type.Literal(c))), { minItems: 1, uniqueItems: true });

export const CountingLineSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ maxLength: 200 })),
    /** Two points; "forward" = crossing from left to right looking from points[0] towards points[1]. */
    points: Type.Tuple([NormPoint, NormPoint]),
    /** Only these classes are counted. @default every kept class */
    classes: Type.Optional(ClassList),
  },
  { additionalProperties: false },
);

export const ZoneSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ maxLength: 200 })),
    polygon: Type.Array(NormPoint, { minItems: 3, maxItems: 64 }),
    classes: Type.Optional(ClassList),
  },
  { additionalProperties: false },
);

const CameraTuning = {
  /** Frames analysed per second. @default 5 */
  fps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 30 })),
  /** Detector input size in pixels (long side, multiple of 32). @default 416 */
  inputSize: Type.Optional(Type.Integer({ minimum: 160, maximum: 1280, multipleOf: 32 })),
  /** Frames allowed between capture and analysis before the oldest are dropped. @default 8 */
  maxInFlightFrames: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  /** Reconnect when no frame arrived for this long. @default 10000 */
  noFrameTimeoutMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 600_000 })),
  /** Minimum detection score kept. @default 0.3 */
  minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  /** Frames a track must stay on the new side before a line crossing counts (hysteresis). @default 2 */
  crossingConfirmFrames: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  /**
   * Add moving objects that the detector misses (class `unknown`), found by a background model on a small gray
   * frame. Helps steep overhead views, which a COCO detector barely recognises. @default true
   */
  motionAssist: Type.Optional(Type.Boolean()),
};

export const CameraSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ maxLength: 200 })),
    /** rtsp://, rtsps://, http(s):// or file:// (or a plain path) for a looping/offline source. */
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    enabled: Type.Optional(Type.Boolean()),
    /** Free-form group used for per-group access control. */
    group: Type.Optional(Id),
    ...CameraTuning,
    lines: Type.Optional(Type.Array(CountingLineSchema, { maxItems: 64 })),
    zones: Type.Optional(Type.Array(ZoneSchema, { maxItems: 64 })),
    /** Zone rules (intrusion, loitering, crowding), each naming one of this camera's zones. @default none */
    rules: Type.Optional(ZoneRulesSchema),
  },
  { additionalProperties: false },
);

export const CamerasFileSchema = Type.Object(
  {
    /** Values merged into every camera that does not set them. */
    defaults: Type.Optional(Type.Object(CameraTuning, { additionalProperties: false })),
    cameras: Type.Array(CameraSchema, { maxItems: 10_000 }),
  },
  { additionalProperties: false },
);

export type CountingLineConfig = Static<typeof CountingLineSchema>;
export type ZoneConfig = Static<typeof ZoneSchema>;
export type CameraConfigInput = Static<typeof CameraSchema>;
export type CamerasFileInput = Static<typeof CamerasFileSchema>;

/** A camera with every default applied: what the stages consume. */
export interface CameraConfig {
  id: string;
  name: string;
  url: string;
  enabled: boolean;
  group: string | null;
  fps: number;
  inputSize: number;
  maxInFlightFrames: number;
  noFrameTimeoutMs: number;
  minScore: number;
  crossingConfirmFrames: number;
  motionAssist: boolean;
  lines: CountingLineConfig[];
  zones: ZoneConfig[];
  /**
   * Zone rules that raise incidents. Always set by the config parser and the camera repository; optional so that
   * hand-built configs (tools, tests) need not name it. @default []
   */
  rules?: ZoneRuleConfig[];
}

export const CAMERA_DEFAULTS = {
  fps: 5,
  inputSize: 416,
  maxInFlightFrames: 8,
  noFrameTimeoutMs: 10_000,
  minScore: 0.3,
  crossingConfirmFrames: 2,
  motionAssist: true,
} as const;
