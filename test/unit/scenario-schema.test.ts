import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseScenario, loadScenario } from "../../src/scenarios/schema.js";
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
    expect(() => parseScenario(text, "x.yaml")).toThrow(/^x\.yaml:7: steps\.1\.on: must be a host of the lab/);
  });
  it("names file and line for a misspelt key", () => {
    const text = "name: x\ntitle: t\nneeds: swarm\nsteps:\n  - on: docker1\n    rnu: ls\n";
    expect(() => parseScenario(text, "x.yaml")).toThrow(/^x\.yaml:5: steps\.0/);
  });
  it("refuses broken YAML with its position", () => {
    expect(() => parseScenario("name: [x\n", "y.yaml")).toThrow(/^y\.yaml:\d+:\d+: not valid YAML/);
  });
  it("refuses an unknown start state and a missing field", () => {
    expect(() => parseScenario("name: x\ntitle: t\nneeds: galaxy\nsteps: [{check: galera-health}]\n", "z.yaml")).toThrow(/z\.yaml:3: needs/);
    expect(() => parseScenario("name: x\nneeds: bare\nsteps: [{check: galera-health}]\n", "z.yaml")).toThrow(/title: Required/);
  });
  it("a wait without a bound is refused", () => {
    expect(() => parseScenario("name: x\ntitle: t\nneeds: bare\nsteps:\n  - wait: galera-synced\n", "w.yaml")).toThrow(/w\.yaml:5: steps\.0\.timeout: Required/);
  });
});

describe("scenario steps added for the fault scenarios", () => {
  const head = "name: x\ntitle: t\nneeds: galera\nsteps:\n";
  it("heal takes all or a host, and names file and line for anything else", () => {
    expect(parseScenario(`${head}  - heal: docker2\n`, "h.yaml").steps[0]).toMatchObject({ heal: "docker2" });
    expect(parseScenario(`${head}  - heal: all\n`, "h.yaml").steps[0]).toMatchObject({ heal: "all" });
    expect(() => parseScenario(`${head}  - name: bring one back\n    heal: docker9\n`, "h.yaml")).toThrow(/^h\.yaml:6: steps\.0\.heal: must be "all" or a host of the lab/);
  });
  it("stop takes a grace in seconds (a clean shutdown); kill does not", () => {
    expect(parseScenario(`${head}  - fault: { kind: stop, host: docker2, grace: 30 }\n`, "g.yaml").steps[0]).toMatchObject({ fault: { grace: 30 } });
    expect(() => parseScenario(`${head}  - fault: { kind: kill, host: docker2, grace: 30 }\n`, "g.yaml")).toThrow(/^g\.yaml:5: steps\.0\.fault/);
    expect(() => parseScenario(`${head}  - fault: { kind: stop, host: docker2, grace: -1 }\n`, "g.yaml")).toThrow(/grace/);
  });
  it("a run step may go to whichever manager answers, and retry within a bound", () => {
    const s = parseScenario(`${head}  - on: manager\n    run: docker node ls\n    retry: 30\n`, "r.yaml");
    expect(s.steps[0]).toMatchObject({ on: "manager", retry: 30 });
    expect(() => parseScenario(`${head}  - on: docker9\n    run: ls\n`, "r.yaml")).toThrow(/r\.yaml:5: steps\.0\.on: must be a host of the lab \(docker1, docker2, docker3\) or "manager"/);
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
