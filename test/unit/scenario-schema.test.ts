import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseScenario, loadScenario, type ScenarioError } from "../../src/scenarios/schema.js";
import { allScenarioNames } from "../../src/scenarios/session.js";

describe("scenario files", () => {
  it("every shipped scenario validates", () => {
    for (const n of allScenarioNames()) expect(loadScenario(n).name).toBe(n);
  });
  it("the seed replays the walkthrough's commands verbatim but for image names", () => {
    const runs = loadScenario("seed").steps.flatMap((s) => ("run" in s ? [s.run.trim()] : []));
    expect(runs).toContain("docker swarm init --advertise-addr 192.168.10.201");
    expect(runs).toContain("docker network create --driver overlay mynet");
    expect(runs).toContain('docker service inspect mysql-galera -f "{{ .Endpoint.VirtualIPs }}"');
    expect(runs.some((r) => r.includes("-p 3306:3306 --network mynet") && r.includes("--env DISCOVERY_SERVICE=192.168.10.201:2379"))).toBe(true);
  });
  it("names file and line for an unknown host", () => {
    const text = "name: x\ntitle: t\nneeds: swarm\nsteps:\n  - on: docker1\n    run: ls\n  - on: docker9\n    run: ls\n";
    expect(() => parseScenario(text, "x.yaml")).toThrow(/^x\.yaml:7: steps\.1\.on: "docker9" is not a host of this lab \(docker1, docker2, docker3, manager\)$/);
  });
  it("names file and line for a misspelt key", () => {
    const text = "name: x\ntitle: t\nneeds: swarm\nsteps:\n  - on: docker1\n    rnu: ls\n";
    expect(() => parseScenario(text, "x.yaml")).toThrow(/^x\.yaml:6: steps\.0\.rnu: unknown step key "rnu"; did you mean "run"\?$/);
  });
  it("refuses broken YAML with its position", () => {
    expect(() => parseScenario("name: [x\n", "y.yaml")).toThrow(/^y\.yaml:\d+:\d+: not valid YAML/);
  });
  it("refuses an unknown start state and a missing field", () => {
    expect(() => parseScenario("name: x\ntitle: t\nneeds: galaxy\nsteps: [{check: galera-health}]\n", "z.yaml")).toThrow(/z\.yaml:3: needs/);
    expect(() => parseScenario("name: x\nneeds: bare\nsteps: [{check: galera-health}]\n", "z.yaml")).toThrow(/z\.yaml:1: title: is required \(string\)/);
  });
  it("a wait without a bound is refused", () => {
    expect(() => parseScenario("name: x\ntitle: t\nneeds: bare\nsteps:\n  - wait: galera-synced\n", "w.yaml")).toThrow(/w\.yaml:5: steps\.0\.timeout: is required \(number\)/);
  });
});

describe("every mistake at once, in words a user can act on", () => {
  const head = "name: x\ntitle: t\nneeds: galera\nsteps:\n";
  const problems = (text: string) => {
    try {
      parseScenario(text, "m.yaml");
    } catch (e) {
      return (e as ScenarioError).problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    }
    return [];
  };
  it("three mistakes give three lines, each with its line, the value and what is allowed", () => {
    const text = `${head}  - on: docker9\n    run: ls\n  - chek: galera-health\n  - fault: { kind: ports, host: docker3, ports: ["53/udp"], direction: sideways }\n`;
    const p = problems(text);
    expect(p).toEqual([
      '5: steps.0.on: "docker9" is not a host of this lab (docker1, docker2, docker3, manager)',
      '7: steps.1.chek: unknown step key "chek"; did you mean "check"?',
      expect.stringMatching(/^8: steps\.2\.fault\.ports\.0: "53\/udp" is not allowed \(7946\/tcp, .*\)$/),
      expect.stringMatching(/^8: steps\.2\.fault\.direction: "sideways" is not allowed \(in, out, both\)$/),
    ]);
    expect(() => parseScenario(text, "m.yaml")).toThrow(/^m\.yaml has 4 problems:\n  m\.yaml:5: steps\.0\.on/);
  });
  it("an unknown wait, check or fault kind names the known ones and the closest", () => {
    expect(problems(`${head}  - check: galera-helth\n`)).toEqual([expect.stringMatching(/^5: steps\.0\.check: "galera-helth" is not a check \(swarm-roles, .*\); did you mean "galera-health"\?$/)]);
    expect(problems(`${head}  - wait: galera-sync\n    timeout: 5\n`)[0]).toMatch(/did you mean "galera-synced"\?$/);
    expect(problems(`${head}  - fault: { kind: kil, host: docker1 }\n`)[0]).toMatch(/steps\.0\.fault\.kind: "kil" is not a fault kind \(.*\); did you mean "kill"\?$/);
  });
  it("an unknown field of a kind says which fields it has, and wrong types say what they got", () => {
    expect(problems(`${head}  - check: galera-health\n    membrs: 3\n`)).toEqual(['6: steps.0.membrs: unknown field "membrs"; did you mean "members"?']);
    expect(problems(`${head}  - wait: galera-synced\n    timeout: soon\n`)).toEqual(['6: steps.0.timeout: "soon" is a string, expected number']);
    expect(problems(`${head}  - wait: galera-synced\n    timeout: -5\n`)).toEqual(["6: steps.0.timeout: -5 is below the minimum (exclusive) 0"]);
    expect(problems(`${head}  - check: galera-health\n    members: 2.5\n`)).toEqual(["6: steps.0.members: 2.5 must be a whole number"]);
  });
  it("zod's own wording never reaches the user", () => {
    const all = problems(`name: X\nneeds: moon\nsteps: []\nextra: 1\n`).join("\n");
    expect(all).not.toMatch(/Invalid discriminator|Required|Invalid input|Expected/);
    expect(all).toMatch(/needs: "moon" is not allowed \(bare, swarm, galera, a list\)/);
    expect(all).toMatch(/extra: unknown field "extra"/);
    expect(all).toMatch(/steps: has 0 entries, needs at least 1/);
  });
});

describe("scenario steps added for the fault scenarios", () => {
  const head = "name: x\ntitle: t\nneeds: galera\nsteps:\n";
  it("heal takes all or a host, and names file and line for anything else", () => {
    expect(parseScenario(`${head}  - heal: docker2\n`, "h.yaml").steps[0]).toMatchObject({ heal: "docker2" });
    expect(parseScenario(`${head}  - heal: all\n`, "h.yaml").steps[0]).toMatchObject({ heal: "all" });
    expect(() => parseScenario(`${head}  - name: bring one back\n    heal: docker9\n`, "h.yaml")).toThrow(/^h\.yaml:6: steps\.0\.heal: "docker9" is not a host of this lab \(docker1, docker2, docker3, all\)$/);
  });
  it("stop takes a grace in seconds (a clean shutdown); kill does not", () => {
    expect(parseScenario(`${head}  - fault: { kind: stop, host: docker2, grace: 30 }\n`, "g.yaml").steps[0]).toMatchObject({ fault: { grace: 30 } });
    expect(() => parseScenario(`${head}  - fault: { kind: kill, host: docker2, grace: 30 }\n`, "g.yaml")).toThrow(/^g\.yaml:5: steps\.0\.fault/);
    expect(() => parseScenario(`${head}  - fault: { kind: stop, host: docker2, grace: -1 }\n`, "g.yaml")).toThrow(/grace/);
  });
  it("a run step may go to whichever manager answers, and retry within a bound", () => {
    const s = parseScenario(`${head}  - on: manager\n    run: docker node ls\n    retry: 30\n`, "r.yaml");
    expect(s.steps[0]).toMatchObject({ on: "manager", retry: 30 });
    expect(() => parseScenario(`${head}  - on: docker9\n    run: ls\n`, "r.yaml")).toThrow(/r\.yaml:5: steps\.0\.on: "docker9" is not a host of this lab \(docker1, docker2, docker3, manager\)/);
    expect(() => parseScenario(`${head}  - on: docker1\n    run: ls\n    retry: -1\n`, "r.yaml")).toThrow(/r\.yaml:7: steps\.0\.retry/);
  });
  it("knows the leader and role conditions, and host-down without a host", () => {
    const s = parseScenario(`${head}  - fault: { kind: stop-leader }\n  - wait: swarm-leader\n    timeout: 60\n  - wait: host-down\n    timeout: 60\n  - check: swarm-roles\n`, "l.yaml");
    expect(s.steps.map((x) => Object.keys(x)[0])).toEqual(["fault", "wait", "wait", "check"]);
  });
  it("refuses a fault on an unknown port", () => {
    expect(() => parseScenario(`${head}  - fault: { kind: ports, host: docker3, ports: ["53/udp"] }\n`, "p.yaml")).toThrow(/p\.yaml:5: steps\.0\.fault\.ports\.0/);
  });
});

describe("docs/scenario-format.md", () => {
  it("its whole-file example is a valid scenario", () => {
    const page = readFileSync(new URL("../../docs/scenario-format.md", import.meta.url), "utf8");
    const example = [...page.matchAll(/```yaml\n(name: [\s\S]*?)```/g)].at(-1)?.[1];
    expect(example).toBeDefined();
    const s = parseScenario(example!, "docs/scenario-format.md");
    expect(s.steps.map((x) => Object.keys(x).find((k) => ["fault", "wait", "heal", "check", "run"].includes(k)))).toEqual(["fault", "wait", "heal", "wait", "check"]);
  });
});

describe("one registry of step kinds", () => {
  it("docs/scenario-format.md shows every wait, check and fault as declared (swarmlab docs --write)", async () => {
    const { withCurrentReference, FORMAT_DOC } = await import("../../src/scenarios/docs.js");
    const page = readFileSync(FORMAT_DOC, "utf8");
    expect(withCurrentReference(page)).toBe(page);
  });
  it("the schema takes exactly the kinds in the registries", async () => {
    const { WAITS, CHECKS } = await import("../../src/checks/kinds/index.js");
    const { FAULTS } = await import("../../src/faults/kinds/index.js");
    const head = "name: x\ntitle: t\nneeds: galera\nsteps:\n";
    // The fields each kind cannot do without.
    const required: Record<string, string> = { "galera-clusters": "    clusters: 1\n", "task-log": "    pattern: x\n", http: "    url: http://docker1:80/\n", tcp: "    address: docker1:2375\n", sql: "    service: app\n    query: SELECT 1\n" };
    for (const w of WAITS) expect(() => parseScenario(`${head}  - wait: ${w.name}\n    timeout: 5\n${required[w.name] ?? ""}`, "k.yaml")).not.toThrow();
    for (const c of CHECKS) expect(() => parseScenario(`${head}  - check: ${c.name}\n${required[c.name] ?? ""}`, "k.yaml")).not.toThrow();
    expect(new Set(FAULTS.map((f) => f.name)).size).toBe(FAULTS.length);
  });
});
