/** The library API of swarm-galera-lab. */
export { startLab, openLab, Lab, formSwarm, OVERLAY_NETWORK, type StartLabOptions } from "./lab.js";
export { loadScenario, parseScenario, type Scenario, type Step } from "./scenarios/schema.js";
export { runScenario, type ScenarioResult } from "./scenarios/runner.js";
export { runSession } from "./scenarios/session.js";
export { Progress } from "./report/progress.js";
export { galeraMembers, wsrepOf, serviceTasks } from "./checks/galera.js";
export { clusterAddressProblems } from "./checks/cluster-address.js";
export { checkWriteHistory } from "./faults/history.js";
export { waitFor } from "./util/wait.js";
export { LabDriver } from "./driver.js";
export { walk } from "./walk/walk.js";
export { bench } from "./bench/bench.js";
export type { FaultSpec } from "./faults/nemesis.js";
export type { Profile } from "./scenarios/profile.js";
