/**
 * The package exports `./provider/*`, so `pulumi-ovs/provider/ovs/flow` stays importable: this re-exports the
 * flow modules' public names. Code in this repo imports the module that holds a name directly.
 */
export { DEFAULT_PRIORITY, FLOW_FLAGS, type Flow, type MatchField } from "./flow-model";
export { bracketProblem, droppedMatchFields, parseActions, parseCookie, parseDumpFlows, parseFlow, parseMatch, parsedFlowMatch, splitTopLevel } from "./flow-parse";
export { actionsText, cookieHex, flowKey, formatDumpFlow, formatFlow, keyOf, matchText, matchWithPriority } from "./flow-format";
export { actionsProblems, matchProblems, normalizeMatchInput } from "./flow-validate";
export { cookieFor, cookieFromDigest } from "./flow-cookies";
export {
  OPENFLOW_VERSIONS,
  addFlowCommand,
  addFlowMergeable,
  delFlowStrictArgv,
  delFlowStrictCommand,
  dumpFlowsArgv,
  ofVersions,
  parseFlowArgv,
  parseFlowCommand,
  supportsBundle,
} from "./flow-ofctl";
