/** Schemas shared by several routes (OpenAPI components in spirit; inlined because they carry no $id). */
import { Type } from 'typebox';
import { PAGE_LIMIT } from '../../storage/repositories/pagination.js';

/** Same rule as camera, line and zone ids in the config file. */
export const IdParam = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'letters, digits, _ . - (max 64)' });
/** Crossing and track ids are built by the pipeline (camera:epoch:...), so any printable text up to 512 chars. */
export const RecordIdParam = Type.String({ minLength: 1, maxLength: 512, pattern: '^[^\\u0000-\\u001f]+$' });
export const IsoTime = Type.String({ format: 'date-time', description: 'ISO 8601 time with a zone, e.g. 2026-11-22T07:45:00Z' });
export const NullableIsoTime = Type.Union([IsoTime, Type.Null()]);
/** Literal list (not mapped from OBJECT_CLASSES) so the type provider infers the union; a unit test keeps them equal. */
export const ObjectClassSchema = Type.Union(
  [Type.Literal('person'), Type.Literal('bicycle'), Type.Literal('car'), Type.Literal('motorcycle'), Type.Literal('bus'), Type.Literal('truck'), Type.Literal('unknown')],
  { description: 'object class' },
);
export const DirectionSchema = Type.Union([Type.Literal('forward'), Type.Literal('backward')], {
  description: 'forward = from the left to the right side looking from the line’s first point towards its second',
});
export const LimitQuery = Type.Integer({ minimum: 1, maximum: PAGE_LIMIT.max, default: PAGE_LIMIT.default, description: 'page size' });
export const CursorQuery = Type.String({ minLength: 1, maxLength: 1024, description: 'nextCursor of the previous page' });
export const BoxSchema = Type.Object({ x: Type.Number(), y: Type.Number(), w: Type.Number(), h: Type.Number() }, { description: 'pixels of the analysed frame' });
export const NextCursor = Type.Union([Type.String(), Type.Null()], { description: 'pass as `cursor` for the next page; null on the last page' });
