import { tunnelProvider } from "./tunnel";

/** The dynamic provider of GRE tunnel ports: this module's exports are what the engine calls. */
const p = tunnelProvider("gre");
export const { check, diff, create, read, update } = p;
const remove = p.delete;
export { remove as delete };
