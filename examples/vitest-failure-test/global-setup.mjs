// Builds the lab's images once (swarm-galera-lab/global-setup), with a clear word when the library
// itself was not built: it is installed from the repository (file:../..) and runs from its dist/.
export default async function setup() {
  let lab;
  try {
    lab = await import("swarm-galera-lab/global-setup");
  } catch (err) {
    if (err?.code === "ERR_MODULE_NOT_FOUND" && /swarm-galera-lab|dist/.test(String(err.message))) {
      throw new Error(`swarm-galera-lab is not built: run \`npm install && npm run build\` in the repository root (../..) first\n(${err.message})`);
    }
    throw err;
  }
  await lab.setup();
}
