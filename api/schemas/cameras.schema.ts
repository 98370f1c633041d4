import { Type } from 'typebox';
import { CountingLineSchema, ZoneSchema } from '../../pipeline/config/camera-config.schema.js';
import { ZoneRuleSchema } from '../../pipeline/zones/zone-rules.schema.js';
import { IsoTime, NullableIsoTime } from './common.schema.js';

export const CameraStatusSchema = Type.Object(
  {
    cameraId: Type.String(),
    state: Type.Union([Type.Literal('starting'), Type.Literal('online'), Type.Literal('reconnecting'), Type.Literal('failed'), Type.Literal('disabled')]),
    reason: Type.Union([Type.String(), Type.Null()], { description: 'why the camera is not online' }),
    inputFps: Type.Number({ description: 'frames per second received (after sampling)' }),
    analysedFps: Type.Number({ description: 'frames per second through detection and tracking' }),
    droppedFrames: Type.Integer({ description: 'sampled frames dropped because inference lagged, since the owner started' }),
    framesTotal: Type.Integer(),
    reconnects: Type.Integer(),
    lastFrameAt: NullableIsoTime,
    ownerId: Type.Union([Type.String(), Type.Null()], { description: 'host:pid of the owning ingest process' }),
    updatedAt: IsoTime,
    source: Type.Union([Type.Literal('live'), Type.Literal('stored')], { description: 'live (Redis) or last stored (Postgres)' }),
  },
  { description: 'CameraStatus' },
);

export const CameraSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    url: Type.String({ description: 'source URL with credentials masked' }),
    enabled: Type.Boolean(),
    group: Type.Union([Type.String(), Type.Null()]),
    fps: Type.Number({ description: 'frames analysed per second' }),
    inputSize: Type.Integer({ description: 'detector input size, pixels' }),
    maxInFlightFrames: Type.Integer(),
    noFrameTimeoutMs: Type.Integer(),
    minScore: Type.Number(),
    crossingConfirmFrames: Type.Integer(),
    motionAssist: Type.Boolean({ description: 'moving objects the detector misses are tracked as class unknown' }),
    lines: Type.Array(CountingLineSchema),
    zones: Type.Array(ZoneSchema),
    rules: Type.Array(ZoneRuleSchema, { description: 'zone rules raising incidents (intrusion, loitering, crowding)' }),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    status: Type.Union([CameraStatusSchema, Type.Null()]),
  },
  { description: 'Camera' },
);

export const CameraListQuery = Type.Object(
  {
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
