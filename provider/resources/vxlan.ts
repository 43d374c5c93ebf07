import { tunnelProvider } from "./tunnel";

/** The dynamic provider of VXLAN tunnel ports: this module's exports are what the engine calls. */
const p = tunnelProvider("vxlan");
export const check = p.check;
export const diff = p.diff;
export const create = p.create;
export const read = p.read;
export const update = p.update;
const remove = p.delete;
export { remove as delete };
