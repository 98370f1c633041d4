import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file is test/support/shared-paths.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Shared models and data live beside the checkout, never inside it. */
export const SHARED_DIR = process.env.IOCV_SHARED_DIR ?? path.resolve(REPO_ROOT, '..', 'shared');
export const SHARED_DATA = path.join(SHARED_DIR, 'data');
export const SHARED_MODELS = path.join(SHARED_DIR, 'models');
