/** Options several commands share, declared once (their checks too). */
import { Option } from "commander";
import { PROFILES } from "../scenarios/profile.js";

/** --profile: resolved once by commander; anything else is refused with the allowed values. */
export const profileOption = () =>
  new Option("--profile <profile>", "timers: walkthrough (swarm's and Galera's defaults) or tuned (faster failure detection)").choices(PROFILES).default("walkthrough");
