import Docker from "dockerode";

/** Everything on the real engine that carries a lab's label. */
export async function labelled(lab: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const docker = new Docker();
  const filters = { label: [`swarmlab.lab=${lab}`] };
  const containers = (await docker.listContainers({ all: true, filters })).length;
  const networks = (await docker.listNetworks({ filters })).length;
  const volumes = ((await docker.listVolumes({ filters })).Volumes ?? []).length;
  return { containers, networks, volumes };
}
