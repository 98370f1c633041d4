import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import {
  CAMERA_DEFAULTS,
  CameraSchema,
  CamerasFileSchema,
  type CameraConfig,
  type CameraConfigInput,
  type CamerasFileInput,
} from './camera-config.schema.js';
import { validateZoneRuleRefs } from '../zones/zone-rules.schema.js';

/** Stable error for any invalid configuration; `issues` carries one entry per bad key. */
export class ConfigError extends Error {
  readonly code = 'IOCV_CONFIG_INVALID';
  constructor(
    readonly source: string,
    readonly issues: Array<{ path: string; message: string }>,
  ) {
    super(`invalid configuration in ${source}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// discriminator: a zone rule is validated against the schema of its own `type` only (see zone-rules.schema.ts).
const ajv = new Ajv({ allErrors: true, strict: false, discriminator: true });
const validateFile = ajv.compile<CamerasFileInput>(CamerasFileSchema);
const validateCamera = ajv.compile<CameraConfigInput>(CameraSchema);

/** `/cameras/1/lines/0/points/1/0` → `cameras[1].lines[0].points[1][0]` */
export function formatPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

export function ajvIssues(errors: ErrorObject[] | null | undefined): Array<{ path: string; message: string }> {
  const seen = new Set<string>();
  const issues: Array<{ path: string; message: string }> = [];
  for (const e of errors ?? []) {
    let path: string;
    let message: string;
    if (e.keyword === 'discriminator') {
      // A tagged union (zone rules): the tag is missing or names no known variant.
      const p = e.params as { error: string; tag: string };
      path = formatPath(e.instancePath, p.tag);
      message = p.error === 'mapping' ? 'is not an allowed value' : 'is required and must be a string';
    } else if (e.keyword === 'additionalProperties') {
      path = formatPath(e.instancePath, String((e.params as { additionalProperty: string }).additionalProperty));
      message = 'unknown key';
    } else if (e.keyword === 'required') {
      path = formatPath(e.instancePath, String((e.params as { missingProperty: string }).missingProperty));
      message = 'is required';
    } else {
      path = formatPath(e.instancePath);
      message = e.message ?? e.keyword;
    }
    // anyOf over literals yields one error per branch: keep the first per path.
    const k = `${path}|${e.keyword === 'const' || e.keyword === 'anyOf' ? 'enum' : message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    issues.push({ path, message: e.keyword === 'const' || e.keyword === 'anyOf' ? 'is not an allowed value' : message });
  }
  return issues;
}

function semanticIssues(cameras: CameraConfigInput[], prefix: string): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const ids = new Map<string, number>();
  cameras.forEach((c, i) => {
    const at = prefix ? `${prefix}[${i}]` : '';
    const p = (k: string) => (at ? `${at}.${k}` : k);
    if (ids.has(c.id)) issues.push({ path: p('id'), message: `duplicate camera id "${c.id}" (also cameras[${ids.get(c.id)}])` });
    ids.set(c.id, i);
    if (!/^(rtsps?|https?|file|udp|srt):\/\//i.test(c.url) && !c.url.startsWith('/') && !c.url.startsWith('.')) {
      issues.push({ path: p('url'), message: 'must be an rtsp://, rtsps://, http(s)://, udp://, srt://, file:// URL or a file path' });
    }
    const lineIds = new Set<string>();
    (c.lines ?? []).forEach((l, j) => {
      if (lineIds.has(l.id)) issues.push({ path: p(`lines[${j}].id`), message: `duplicate line id "${l.id}"` });
      lineIds.add(l.id);
      const [a, b] = l.points;
      if (Math.hypot(a[0] - b[0], a[1] - b[1]) < 1e-3) issues.push({ path: p(`lines[${j}].points`), message: 'the two points must differ' });
    });
    const zoneIds = new Set<string>();
    (c.zones ?? []).forEach((z, j) => {
      if (zoneIds.has(z.id)) issues.push({ path: p(`zones[${j}].id`), message: `duplicate zone id "${z.id}"` });
      zoneIds.add(z.id);
      if (Math.abs(polygonArea(z.polygon)) < 1e-6) issues.push({ path: p(`zones[${j}].polygon`), message: 'polygon has no area' });
    });
    issues.push(...validateZoneRuleRefs(c.rules ?? [], [...zoneIds], p('rules')));
  });
  return issues;
}

function polygonArea(poly: Array<[number, number]>): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x1, y1] = poly[i]!;
    const [x2, y2] = poly[(i + 1) % poly.length]!;
    s += x1 * y2 - x2 * y1;
  }
  return s / 2;
}

function applyDefaults(c: CameraConfigInput, defaults: CamerasFileInput['defaults']): CameraConfig {
  const d = { ...CAMERA_DEFAULTS, ...(defaults ?? {}) };
  return {
    id: c.id,
    name: c.name ?? c.id,
    url: c.url,
    enabled: c.enabled ?? true,
    group: c.group ?? null,
    fps: c.fps ?? d.fps,
    inputSize: c.inputSize ?? d.inputSize,
    maxInFlightFrames: c.maxInFlightFrames ?? d.maxInFlightFrames,
    noFrameTimeoutMs: c.noFrameTimeoutMs ?? d.noFrameTimeoutMs,
    minScore: c.minScore ?? d.minScore,
    crossingConfirmFrames: c.crossingConfirmFrames ?? d.crossingConfirmFrames,
    motionAssist: c.motionAssist ?? d.motionAssist,
    lines: c.lines ?? [],
    zones: c.zones ?? [],
    rules: c.rules ?? [],
  };
}

/** Validates a parsed cameras file; throws ConfigError naming every bad key. */
export function parseCamerasConfig(data: unknown, source = 'config'): CameraConfig[] {
  if (!validateFile(data)) throw new ConfigError(source, ajvIssues(validateFile.errors));
  const issues = semanticIssues(data.cameras, 'cameras');
  if (issues.length) throw new ConfigError(source, issues);
  return data.cameras.map((c) => applyDefaults(c, data.defaults));
}

/** Validates one camera (API input for runtime changes). */
export function parseCameraConfig(data: unknown, source = 'camera'): CameraConfig {
  if (!validateCamera(data)) throw new ConfigError(source, ajvIssues(validateCamera.errors));
  const issues = semanticIssues([data], '');
  if (issues.length) throw new ConfigError(source, issues);
  return applyDefaults(data, undefined);
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseCamerasConfigText(text: string, source: string): CameraConfig[] {
  let data: unknown;
  try {
    data = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new ConfigError(source, [{ path: '(file)', message: `not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}` }]);
  }
  return parseCamerasConfig(data, source);
}
