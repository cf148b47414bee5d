/** Names and labels of everything a lab creates. Pure, so it is unit tested. */

export const DEFAULT_LAB = "swarmlab";
export const LAB_LABEL = "swarmlab.lab";
export const HOST_LABEL = "swarmlab.host";

export function validateLabName(name: string): string {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) {
    throw new Error(`lab name "${name}" is not valid: use lower-case letters, digits and '-', starting with a letter`);
  }
  return name;
}

/** The default lab's hosts are docker1..3 as in the walkthrough; lab N's are N-docker1..3. */
export function containerName(lab: string, service: string): string {
  return lab === DEFAULT_LAB ? service : `${lab}-${service}`;
}

export function networkName(lab: string, composeNetwork: string): string {
  return `${lab}-${composeNetwork}`;
}

export function volumeName(lab: string, composeVolume: string): string {
  return `${lab}-${composeVolume}`;
}

export function labLabels(lab: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LAB_LABEL]: lab, ...extra };
}
