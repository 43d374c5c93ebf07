import { bridgeSchema, type BridgeInputs } from "../schema/bridge";
import { mapEntries, removeKeys, setValue, vsctl } from "../ovs/vsctl";
import type { BridgeRow, OvsState } from "../ovs/ovsdb";
import { mutate, ovsState } from "../host/facts";
import {
  OWNER_KEY,
  assertOwnable,
  createOrAdopt,
  compact,
  kindModule,
  readResult,
  write,
} from "./framework";
import { droppedOwnKeys, pickOwn } from "../shared/values";

/** OvsBridge: an OVS bridge and its settings. This module's exports are the dynamic provider. */

const KIND = "OvsBridge";
const rules = { replaceKeys: ["name", "datapathType"], identityKeys: ["name"] };

export interface BridgeOutputs extends BridgeInputs {
  uuid: string;
  datapathId?: string;
}

/** The ovs-vsctl transaction that makes the bridge look like `want` (create and update share it). */
/** With mayExist false the transaction fails if the bridge exists: create uses that to detect foreign objects atomically. */
export function bridgeConvergeArgv(want: BridgeInputs, old?: BridgeInputs, mayExist = true): string[] {
  const b = want.name;
  const settings = [
    want.datapathType && `datapath_type=${want.datapathType}`,
    want.failMode && `fail_mode=${want.failMode}`,
    want.protocols && setValue("protocols", want.protocols),
    want.stpEnable !== undefined && `stp_enable=${want.stpEnable}`,
    want.rstpEnable !== undefined && `rstp_enable=${want.rstpEnable}`,
    want.mcastSnoopingEnable !== undefined && `mcast_snooping_enable=${want.mcastSnoopingEnable}`,
    ...mapEntries("external_ids", want.externalIds),
    ...mapEntries("other_config", want.otherConfig),
    ...mapEntries("external_ids", { [OWNER_KEY]: want.owner }),
  ].filter((x): x is string => typeof x === "string");
  // Fields declared before and dropped now go back to OVS defaults.
  const cleared = old
    ? [
        old.failMode && !want.failMode && ["clear", "Bridge", b, "fail_mode"],
        old.protocols && !want.protocols && ["clear", "Bridge", b, "protocols"],
        old.stpEnable !== undefined && want.stpEnable === undefined && ["set", "Bridge", b, "stp_enable=false"],
        old.rstpEnable !== undefined && want.rstpEnable === undefined && ["set", "Bridge", b, "rstp_enable=false"],
        old.mcastSnoopingEnable !== undefined && want.mcastSnoopingEnable === undefined && ["set", "Bridge", b, "mcast_snooping_enable=false"],
      ]
    : [];
  const controllers =
    want.controllers && want.controllers.length > 0
      ? ["set-controller", b, ...want.controllers]
      : old?.controllers && old.controllers.length > 0 && ["del-controller", b];
  return vsctl(
    mayExist ? ["--may-exist", "add-br", b] : ["add-br", b],
    ["set", "Bridge", b, ...settings],
    removeKeys("Bridge", b, "external_ids", droppedOwnKeys(old?.externalIds, want.externalIds)),
    removeKeys("Bridge", b, "other_config", droppedOwnKeys(old?.otherConfig, want.otherConfig)),
    ...cleared.map((c) => c || undefined),
    controllers || undefined,
  );
}

/** What the host says about the fields the program declares, in input form. */
export function liveInputs(row: BridgeRow, declared: BridgeInputs): BridgeInputs {
  return {
    ...declared,
    datapathType: declared.datapathType === undefined ? undefined : ((row.datapathType || "system") as BridgeInputs["datapathType"]),
    failMode: declared.failMode === undefined ? undefined : (row.failMode as BridgeInputs["failMode"]),
    protocols: declared.protocols === undefined ? undefined : (row.protocols as BridgeInputs["protocols"]),
    stpEnable: declared.stpEnable === undefined ? undefined : row.stpEnable,
    rstpEnable: declared.rstpEnable === undefined ? undefined : row.rstpEnable,
    mcastSnoopingEnable: declared.mcastSnoopingEnable === undefined ? undefined : row.mcastSnoopingEnable,
    externalIds: pickOwn(row.externalIds, declared.externalIds),
    otherConfig: pickOwn(row.otherConfig, declared.otherConfig),
    controllers: declared.controllers === undefined ? undefined : row.controllers,
  };
}

function outputs(inputs: BridgeInputs, row: BridgeRow): BridgeOutputs {
  return compact({ ...inputs, uuid: row.uuid, datapathId: row.datapathId });
}

function rowOrThrow(state: OvsState, name: string): BridgeRow {
  const row = state.bridges.get(name);
  if (!row) throw new Error(`bridge ${name} is missing right after it was written`);
  return row;
}

const p = kindModule({
  kind: KIND,
  schema: bridgeSchema,
  rules,
  parseOld: true,
  async create({ host, conn, want }) {
    await createOrAdopt(host, () => bridgeConvergeArgv(want, undefined, false), async () => {
      const existing = (await ovsState(host)).bridges.get(want.name);
      if (existing) assertOwnable(KIND, want.name, existing.externalIds[OWNER_KEY], want.owner, want.adopt);
      return bridgeConvergeArgv(want);
    });
    const row = rowOrThrow(await ovsState(host), want.name);
    return { id: `${conn.host}/${want.name}`, outs: outputs(want, row) };
  },
  async read({ host, id, declared }) {
    const row = (await ovsState(host)).bridges.get(declared.name);
    if (!row) return {}; // gone: the engine drops it from state
    const inputs = compact(liveInputs(row, declared));
    return readResult(id, outputs(inputs, row), inputs, declared);
  },
  async update({ host, want, old }) {
    await mutate(host, write(bridgeConvergeArgv(want, old)));
    return { outs: outputs(want, rowOrThrow(await ovsState(host), want.name)) };
  },
  async delete({ host, old }) {
    const state = await ovsState(host);
    const row = state.bridges.get(old.name);
    if (!row || row.externalIds[OWNER_KEY] !== old.owner) return; // gone, or not ours (any more): leave it
    const foreign = [...state.portBridge]
      .filter(([port, br]) => br === old.name && port !== old.name && state.ports.get(port)?.externalIds[OWNER_KEY] === undefined)
      .map(([port]) => port);
    if (foreign.length > 0) {
      throw new Error(`refusing to delete bridge ${old.name}: it still holds ports pulumi-ovs did not create (${foreign.join(", ")}); remove them first`);
    }
    await mutate(host, write(vsctl(["--if-exists", "del-br", old.name])));
  },
});
// The dynamic provider: what the engine calls.
export const { check, diff, create, read, update } = p;
const remove = p.delete;
export { remove as delete };
