import { Type } from 'typebox';
import { CursorQuery, IdParam, IsoTime, NextCursor, NullableIsoTime } from './common.schema.js';

const IncidentType = Type.Union(
  [Type.Literal('zone_intrusion'), Type.Literal('loitering'), Type.Literal('crowding'), Type.Literal('camera_offline'), Type.Literal('camera_online')],
  { description: 'incident type' },
);
const IncidentState = Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')], { description: 'open → acknowledged → resolved' });
const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);

export const IncidentSchema = Type.Object(
  {
    id: Type.String(),
    type: IncidentType,
    severity: Severity,
    cameraId: Type.String(),
    zoneId: Type.Union([Type.String(), Type.Null()]),
    openedAt: IsoTime,
    lastSeenAt: IsoTime,
    state: IncidentState,
    acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
    acknowledgedAt: NullableIsoTime,
    resolvedBy: Type.Union([Type.String(), Type.Null()]),
    resolvedAt: NullableIsoTime,
    note: Type.Union([Type.String(), Type.Null()]),
    occurrences: Type.Integer({ description: 'signals merged into this incident' }),
    details: Type.Record(Type.String(), Type.Unknown()),
    snapshotUrl: Type.Union([Type.String(), Type.Null()]),
  },
  { description: 'Incident' },
);

/** Repeatable (`state=open&state=acknowledged`) or comma-separated (`state=open,acknowledged`). */
const listOf = (description: string) =>
  Type.Array(Type.String({ pattern: '^[a-z_]+(,[a-z_]+)*$' }), { description: `${description}; repeat the key or separate by commas`, maxItems: 10 });

export const IncidentsQuery = Type.Object(
  {
    cameraId: Type.Optional(IdParam),
    state: Type.Optional(listOf('states: open, acknowledged, resolved')),
    type: Type.Optional(listOf('types: zone_intrusion, loitering, crowding, camera_offline, camera_online')),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'opened at or after (ISO time)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'opened before (ISO time)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(CursorQuery),
  },
  { additionalProperties: false },
);

export const IncidentsResponse = Type.Object({ items: Type.Array(IncidentSchema), nextCursor: NextCursor });

export const IncidentActionBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 2000, description: 'free text kept with the incident' })) },
  { additionalProperties: false },
);

export const IncidentStreamQuery = Type.Object(
  {
    lastEventId: Type.Optional(Type.Integer({ minimum: 0, description: 'resume after this event id (else the Last-Event-ID header, else from now)' })),
    cameraId: Type.Optional(IdParam),
    access_token: Type.Optional(Type.String({ description: 'for EventSource, which cannot send headers' })),
  },
  { additionalProperties: false },
);

export const INCIDENT_STATE_VALUES = ['open', 'acknowledged', 'resolved'] as const;
export const INCIDENT_TYPE_VALUES = ['zone_intrusion', 'loitering', 'crowding', 'camera_offline', 'camera_online'] as const;
