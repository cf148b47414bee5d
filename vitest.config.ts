import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The ssh provider's proof on stand-in machines is opt-in (npm run test:ssh): see the README's
    // test section for why it is not yet part of every run.
    exclude: [
      "**/node_modules/**",
      ...(process.env.SWARMLAB_SSH_TEST ? [] : ["test/integration/ssh-provider.test.ts"]),
    ],
    // Integration tests share one engine and the default lab's names: run files one at a time.
    fileParallelism: false,
    testTimeout: 20 * 60_000,
    hookTimeout: 10 * 60_000,
    reporters: ["default", "junit"],
    outputFile: { junit: "reports/vitest-junit.xml" },
  },
});
