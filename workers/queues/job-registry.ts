/**
 * The one registry of queues, job names and payloads. Handlers are typed from this map so that the compiler finds a
 * missing handler; job ids are deterministic so that a retried or re-added job never duplicates work.
 */
import type { FrameRef } from '../../pipeline/domain.types.js';

export enum QueueName {
  /** Sampled frames waiting for object detection (any worker on any machine). */
  Detect = 'iocv-detect',
}

export enum JobName {
  DetectFrame = 'detect-frame',
}

export interface DetectFramePayload {
  frame: FrameRef;
  /** Detector input size in pixels (long side, multiple of 32). */
  inputSize: number;
  minScore: number;
}

export interface JobPayloads {
  [JobName.DetectFrame]: DetectFramePayload;
}

export const JOB_QUEUE: { [N in JobName]: QueueName } = {
  [JobName.DetectFrame]: QueueName.Detect,
};

/** Deterministic job ids: the same frame always maps to the same job. BullMQ forbids ':' in custom ids. */
export const jobId = {
  [JobName.DetectFrame]: (p: DetectFramePayload) => `${p.frame.cameraId}.${p.frame.epoch}.${p.frame.seq}`,
} satisfies { [N in JobName]: (p: JobPayloads[N]) => string };

/** Redis keys outside BullMQ, built in one place. */
export const redisKey = {
  /** JPEG bytes of one sampled frame (short TTL). */
  frame: (f: { cameraId: string; epoch: string; seq: number }) => `iocv:frame:${f.cameraId}:${f.epoch}:${f.seq}`,
  /** Stream of detection results for one camera, read by the camera's owner. */
  results: (cameraId: string) => `iocv:results:${cameraId}`,
  /** Lease: which ingest process owns the camera. */
  cameraLease: (cameraId: string) => `iocv:lease:camera:${cameraId}`,
  /** Live status hash of a camera (also persisted to Postgres). */
  cameraStatus: (cameraId: string) => `iocv:status:camera:${cameraId}`,
  /** Leader lease of the camera health monitor among the ingest processes of one deployment (`scope`). */
  cameraHealthLeader: (scope: string) => `iocv:leader:camera-health:${scope}`,
  /** Live ingest processes serving one camera list (sorted set: member = lease token, score = heartbeat expiry). */
  ingestMembers: (group: string) => `iocv:ingest:members:${group}`,
} as const;
