import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // test/opt-in: long proofs run by their own npm scripts (SWARMLAB_OPT_IN=1), never by `npm test`.
    exclude: ["**/node_modules/**", ...(process.env.SWARMLAB_OPT_IN ? [] : ["test/opt-in/**"])],
    // Integration tests share one engine and the default lab's names: run files one at a time.
    fileParallelism: false,
    testTimeout: 20 * 60_000,
    hookTimeout: 10 * 60_000,
    reporters: ["default", "junit"],
    outputFile: { junit: "reports/vitest-junit.xml" },
  },
});
