import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    // Integration tests share one engine and the default lab's names: run files one at a time.
    fileParallelism: false,
    testTimeout: 20 * 60_000,
    hookTimeout: 10 * 60_000,
    reporters: ["default", "junit"],
    outputFile: { junit: "reports/vitest-junit.xml" },
  },
});
