import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["*.test.ts"],
    // The lab's images are built once, before any test file runs.
    globalSetup: ["./global-setup.mjs"],
    // A lab takes minutes to start (images into three hosts, swarm, Galera) and a fault test more.
    testTimeout: 20 * 60_000,
    hookTimeout: 10 * 60_000,
    // Labs share one engine: one test file at a time.
    fileParallelism: false,
  },
});
