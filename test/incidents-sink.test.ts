/**
 * Zone-rule signals → incidents through the live sink, against real Postgres and a real object store: the camera's
 * real analysis stage (tracker + zone rules) on synthetic detections over a real JPEG frame. A frame delivered twice
 * (a retried job, a re-run sink) records one incident; a failed snapshot or a transient database error loses none.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraConfig } from '../pipeline/config/camera-config.schema.js';
import type { Detection, FrameDetections } from '../pipeline/domain.types.js';
import type { IncidentSignal } from '../pipeline/incidents/incident.types.js';
import { CameraAnalysisStage } from '../pipeline/stages/camera-analysis.stage.js';
import { FsObjectStore } from '../storage/objects/fs-object.store.js';
import type { ObjectStore } from '../storage/objects/object-store.port.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { AnalyticsRepository } from '../storage/repositories/analytics.repository.js';
import { IncidentRepository, type RecordSignalResult } from '../storage/repositories/incident.repository.js';
import { PersistingSink, type PersistingSinkDeps } from '../workers/camera/persisting.sink.js';
import type { StageOutput } from '../workers/camera/camera-pipeline.js';
import { MemoryFrameStore } from '../workers/frames/frame-store.js';
import { cameraConfig } from './support/ingest-fixtures.js';

const W = 640;
const H = 360;
const logger = pino({ level: 'silent' });
let db: TestDatabase;
let pool: Pool;
let dir: string;
let objects: FsObjectStore;
let incidents: IncidentRepository;
let analytics: AnalyticsRepository;
let jpeg: Buffer;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 4 });
  await runMigrations(pool);
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-inc-sink-'));
  objects = new FsObjectStore(dir);
  incidents = new IncidentRepository(pool);
  analytics = new AnalyticsRepository(pool);
  jpeg = await sharp({ create: { width: W, height: H, channels: 3, background: '#345' } }).jpeg().toBuffer();
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A camera whose left half is a zone where more than one person raises crowding at once. */
function crowdCamera(id: string): CameraConfig {
  return cameraConfig(id, 'rtsp://h/x', {
    motionAssist: false,
    zones: [{ id: 'Z1', name: 'Quảng trường', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }],
    rules: [{ type: 'crowding', zone: 'Z1', maxPeople: 1, minDurationSeconds: 0 }],
  });
}

const person = (x: number): Detection => ({ cls: 'person', score: 0.9, box: { x, y: 150, w: 30, h: 80 } });

/**
 * Runs the real stage on frames with two people in the zone until the crowding rule raises; returns that frame (its
 * JPEG in the frame store) and the stage output carrying the signal.
 */
async function raise(camera: CameraConfig, frames: MemoryFrameStore): Promise<{ fd: FrameDetections; out: StageOutput; signal: IncidentSignal }> {
  const stage = new CameraAnalysisStage(camera, 'e1');
  const t0 = Date.now();
  for (let seq = 0; seq < 30; seq++) {
    const frameKey = await frames.put({ cameraId: camera.id, epoch: 'e1', seq }, jpeg, 60_000);
    const fd: FrameDetections = {
      cameraId: camera.id, epoch: 'e1', seq, ptsMs: seq * 200, capturedAt: t0 + seq * 200, width: W, height: H, frameKey,
      detections: [person(60 + seq), person(200 + seq)], inferenceMs: 5, workerId: 'test',
    };
    const out = stage.process(fd);
    if (out.signals.length) return { fd, out, signal: out.signals[0]! };
  }
  throw new Error('the crowding rule never raised');
}

function sink(camera: CameraConfig, frames: MemoryFrameStore, over: Partial<PersistingSinkDeps> = {}) {
  const recorded: RecordSignalResult[] = [];
  const s = new PersistingSink({ camera, analytics, incidents, objects, frames, logger, onSignalRecorded: (_s, r) => recorded.push(r), incidentRetryDelayMs: 10, ...over });
  return { s, recorded };
}

async function rowsOf(cameraId: string) {
  const inc = await pool.query<{ id: string; occurrences: number; snapshot_key: string | null }>('SELECT id, occurrences, snapshot_key FROM incidents WHERE camera_id = $1', [cameraId]);
  const ev = await pool.query<{ kind: string }>('SELECT kind FROM incident_events WHERE camera_id = $1 ORDER BY id', [cameraId]);
  const sig = await pool.query('SELECT 1 FROM incident_signals s JOIN incidents i ON i.id = s.incident_id WHERE i.camera_id = $1', [cameraId]);
  return { incidents: inc.rows, events: ev.rows.map((r) => r.kind), signals: sig.rowCount };
}

describe('zone incidents through the persisting sink', () => {
  it('records an incident with an annotated snapshot; a frame delivered again records nothing new', async () => {
    const camera = crowdCamera('sink-a');
    const frames = new MemoryFrameStore();
    const { fd, out, signal } = await raise(camera, frames);
    expect(signal).toMatchObject({ type: 'crowding', cameraId: 'sink-a', zoneId: 'Z1' });
    expect(signal.trackIds).toHaveLength(2);
    const { s, recorded } = sink(camera, frames);
    await s.onAnalysed(fd, out);
    expect(recorded.map((r) => r.outcome)).toEqual(['created']);
    const key = recorded[0]!.incident.snapshotKey;
    expect(key).toMatch(/^events\/sink-a\/\d{4}\/\d{2}\/\d{2}\/inc_5f_[0-9a-f]+\.jpg$/);
    const pic = await objects.get(key!);
    const meta = await sharp(pic!).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', W, H]);
    // the zone is drawn: the left half is tinted red, the right half is the plain frame
    const { data } = await sharp(pic!).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
    const plain = px(480, 300);
    expect(px(100, 300)[0]! - plain[0]!).toBeGreaterThan(25);

    // the same analysed frame again (a retried job re-delivering it, or the sink re-run): one incident, one event
    await s.onAnalysed(fd, out);
    expect(recorded.map((r) => r.outcome)).toEqual(['created', 'duplicate']);
    expect(await rowsOf('sink-a')).toEqual({ incidents: [{ id: recorded[0]!.incident.id, occurrences: 1, snapshot_key: key }], events: ['created'], signals: 1 });
    // and its picture is kept
    expect(await objects.stat(key!)).not.toBeNull();

    // a restarted owner (new stage, new tracks, fresh rule state) raising again joins the live incident
    const again = await raise(camera, frames);
    await s.onAnalysed(again.fd, { ...again.out, signals: [{ ...again.signal, at: again.signal.at + 1, trackIds: ['sink-a:e2:1', 'sink-a:e2:2'] }] });
    expect(recorded.map((r) => r.outcome)).toEqual(['created', 'duplicate', 'merged']);
    const rows = await rowsOf('sink-a');
    expect(rows.incidents).toEqual([{ id: recorded[0]!.incident.id, occurrences: 2, snapshot_key: key }]);
    expect(rows.events).toEqual(['created', 'updated']);
    // the merged signal's own picture is not left behind: the camera's only incident picture is the incident's
    const files = readdirSync(path.join(dir, 'events', 'sink-a'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.map((f) => f.name)).toEqual([path.basename(key!)]);
  });

  it('a failed snapshot, or a frame gone from the frame store, does not lose the incident', async () => {
    const broken: ObjectStore = {
      put: async () => {
        throw new Error('disk full');
      },
      get: async () => null,
      stat: async () => null,
      delete: async () => undefined,
    };
    const camera = crowdCamera('sink-b');
    const frames = new MemoryFrameStore();
    const { fd, out } = await raise(camera, frames);
    const { s, recorded } = sink(camera, frames, { objects: broken });
    await s.onAnalysed(fd, out);
    expect(recorded.map((r) => [r.outcome, r.incident.snapshotKey])).toEqual([['created', null]]);

    const camera2 = crowdCamera('sink-c');
    const frames2 = new MemoryFrameStore();
    const r2 = await raise(camera2, frames2);
    await frames2.delete(r2.fd.frameKey);
    const k2 = sink(camera2, frames2);
    await k2.s.onAnalysed(r2.fd, r2.out);
    expect(k2.recorded.map((r) => [r.outcome, r.incident.snapshotKey])).toEqual([['created', null]]);
  });

  it('retries a failed incident write; a write that committed but whose reply was lost is not doubled', async () => {
    const camera = crowdCamera('sink-d');
    const frames = new MemoryFrameStore();
    const { fd, out } = await raise(camera, frames);
    let calls = 0;
    // First call commits and then "loses the reply"; the retry must find it recorded (duplicate), not create another.
    const flaky: PersistingSinkDeps['incidents'] = {
      recordSignal: async (sig, opts) => {
        calls++;
        const r = await incidents.recordSignal(sig, opts);
        if (calls === 1) throw new Error('connection reset');
        return r;
      },
    };
    const { s, recorded } = sink(camera, frames, { incidents: flaky });
    await s.onAnalysed(fd, out);
    expect(calls).toBe(2);
    expect(recorded.map((r) => r.outcome)).toEqual(['duplicate']);
    const rows = await rowsOf('sink-d');
    expect(rows.incidents).toHaveLength(1);
    expect(rows.events).toEqual(['created']);
    // the picture stays: it is the one the incident points at
    expect(rows.incidents[0]!.snapshot_key).not.toBeNull();
    expect(await objects.stat(rows.incidents[0]!.snapshot_key!)).not.toBeNull();

    // a write that keeps failing is reported to the caller (the pipeline logs it) after the attempts
    const down: PersistingSinkDeps['incidents'] = { recordSignal: async () => Promise.reject(new Error('db down')) };
    const r = await raise(crowdCamera('sink-e'), frames);
    await expect(sink(crowdCamera('sink-e'), frames, { incidents: down, incidentWriteAttempts: 2 }).s.onAnalysed(r.fd, r.out)).rejects.toThrow('db down');
  });
});
