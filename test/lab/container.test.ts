import * as container from "../../provider/resources/container";
import { closeAllHosts } from "../../provider/transport/pool";
import { Managed, owner } from "../helpers/provider";
import { inventory, labConnection, onHost, uniq } from "../helpers/lab";

/** A DockerContainer against the lab host's docker: what docker reports back is what was declared. */
jest.setTimeout(120_000);

const H = inventory().hosts.length - 1;
const id = uniq();
const name = `povs-ct-${id}`;

afterAll(async () => {
  await onHost(H, ["docker", "rm", "-f", name], { reject: false });
  closeAllHosts();
});

test("capAdd declared without the CAP_ prefix reads back unchanged: no drift, no replacement after up", async () => {
  const m = new Managed(container as never, {
    connection: labConnection(H),
    owner: owner("container", id),
    name,
    image: inventory().dockerImage,
    command: ["sleep", "infinity"],
    capAdd: ["NET_ADMIN", "NET_RAW"],
  });
  await m.create();
  expect((await onHost(H, ["docker", "inspect", "--format", "{{json .HostConfig.CapAdd}}", name])).stdout.trim()).toBe('["CAP_NET_ADMIN","CAP_NET_RAW"]');
  const r = await m.refresh();
  expect(r.inputsReturned).toBe(false);
  const d = await m.diff();
  expect(d.changes).toBe(false);
  await container.delete(m.id, m.outs);
  expect((await onHost(H, ["docker", "ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.Names}}"])).stdout.trim()).toBe("");
});
