/** examples/vitest-failure-test as a team would run it: its own npm install, then npx vitest run (on the real engine). */
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { projectRoot } from "../../src/util/paths.js";
import { labelled } from "./helpers.js";

const dir = join(projectRoot, "examples", "vitest-failure-test");

describe("examples/vitest-failure-test", () => {
  it("installs this package from the repository and passes its failure test with npx vitest run", async () => {
    // `npm test` builds dist/ first: the example runs the library from there.
    if (!existsSync(join(dir, "node_modules", "vitest"))) {
      await execa("npm", ["install", "--no-audit", "--no-fund"], { cwd: dir, timeout: 600_000 });
    }
    const r = await execa("npx", ["vitest", "run"], { cwd: dir, reject: false, timeout: 30 * 60_000, env: { CI: "1", NO_COLOR: "1" } });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    // vitest colours its summary even without a terminal when FORCE_COLOR is inherited
    expect(stripVTControlCharacters(r.stdout)).toMatch(/Tests\s+1 passed/);
    // await using removed the lab
    expect(await labelled("vitest-example")).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
