import { Type } from 'typebox';
import { BoxSchema, CursorQuery, DirectionSchema, IdParam, IsoTime, LimitQuery, NextCursor, ObjectClassSchema, RecordIdParam } from './common.schema.js';

export const CountsQuery = Type.Object(
  {
    cameraId: Type.Optional(IdParam),
    lineId: Type.Optional(IdParam),
    class: Type.Optional(ObjectClassSchema),
    direction: Type.Optional(DirectionSchema),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive start (ISO time); default `to` − 24 h' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'exclusive end (ISO time); default now' })),
    bucket: Type.Optional(
      Type.Union([Type.Literal('1m'), Type.Literal('15m'), Type.Literal('1h'), Type.Literal('1d')], {
        default: '15m',
        description: 'bucket size; 1h and 1d are summed from 15-minute buckets',
      }),
    ),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: 'UTC', description: 'IANA zone where hours and days start (1h, 1d), e.g. Asia/Ho_Chi_Minh' })),
  },
  { additionalProperties: false },
);

export const CountRowSchema = Type.Object({
  bucketStart: IsoTime,
  cameraId: Type.String(),
  lineId: Type.String(),
  class: ObjectClassSchema,
  direction: DirectionSchema,
  count: Type.Integer(),
});

export const CountsResponse = Type.Object({
  bucket: Type.String(),
  timeZone: Type.String(),
  from: IsoTime,
  to: IsoTime,
  total: Type.Integer({ description: 'sum of count over the returned rows' }),
  truncated: Type.Boolean({ description: 'true when more rows matched than were returned (narrow the range)' }),
  rows: Type.Array(CountRowSchema),
});

export const CrossingsQuery = Type.Object(
  {
    cameraId: Type.Optional(IdParam),
    lineId: Type.Optional(IdParam),
    trackId: Type.Optional(RecordIdParam),
    class: Type.Optional(ObjectClassSchema),
    direction: Type.Optional(DirectionSchema),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive (ISO time)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'exclusive (ISO time)' })),
    limit: Type.Optional(LimitQuery),
    cursor: Type.Optional(CursorQuery),
  },
  { additionalProperties: false },
);

export const CrossingSchema = Type.Object(
  {
    id: Type.String(),
    cameraId: Type.String(),
    lineId: Type.String(),
    trackId: Type.String(),
    class: ObjectClassSchema,
    direction: DirectionSchema,
    at: IsoTime,
    frame: Type.Object({ epoch: Type.String(), seq: Type.Integer() }),
    box: BoxSchema,
    snapshotUrl: Type.Union([Type.String(), Type.Null()]),
  },
  { description: 'LineCrossing' },
);

export const CrossingsResponse = Type.Object({ items: Type.Array(CrossingSchema), nextCursor: NextCursor });

export const TracksQuery = Type.Object(
  {
    cameraId: Type.Optional(IdParam),
    class: Type.Optional(ObjectClassSchema),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'tracks still seen at or after this time' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'tracks first seen before this time' })),
    includePath: Type.Optional(Type.Boolean({ default: false, description: 'include the sampled path of each track' })),
    limit: Type.Optional(LimitQuery),
    cursor: Type.Optional(CursorQuery),
  },
  { additionalProperties: false },
);

export const TrackSchema = Type.Object(
  {
    id: Type.String(),
    cameraId: Type.String(),
    class: ObjectClassSchema,
    firstSeenAt: IsoTime,
    lastSeenAt: IsoTime,
    frames: Type.Integer(),
    ended: Type.Boolean(),
    path: Type.Optional(Type.Array(Type.Object({ t: IsoTime, x: Type.Number(), y: Type.Number() }), { description: 'bottom-centre points, pixels' })),
  },
  { description: 'Track' },
);

export const TracksResponse = Type.Object({ items: Type.Array(TrackSchema), nextCursor: NextCursor });
