import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests beside the code, and integration tests (real Redis, Postgres, ffmpeg, RTSP, S3, models)
// under test/. Integration files run one at a time: the machine has 2 cores and they start real servers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{api,cli,models,pipeline,storage,workers}/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
