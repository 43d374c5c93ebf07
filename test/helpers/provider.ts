import type * as dynamic from "@pulumi/pulumi/dynamic";
import { forgetAllFacts } from "../../provider/host/facts";

/** A provider module as the engine sees it (the exports of provider/resources/<kind>.ts). */
export interface ProviderModule {
  check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult>;
  diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult>;
  create(inputs: Record<string, unknown>): Promise<dynamic.CreateResult>;
  read(id: string, props: Record<string, unknown>): Promise<dynamic.ReadResult>;
  update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult>;
  delete(id: string, props: Record<string, unknown>): Promise<void>;
}

/**
 * Drive a provider module the way the engine does (check -> create, read, diff -> update, delete), keeping
 * the state an engine would keep. For lab tests of one resource without the engine; the e2e suite repeats
 * the important paths through the real engine.
 */
export class Managed {
  id = "";
  outs: Record<string, unknown> = {};
  /** The inputs the engine keeps in state: the checked inputs of the last create/update, or a read's. */
  stateInputs: Record<string, unknown> = {};

  constructor(readonly mod: ProviderModule, public inputs: Record<string, unknown>) {}

  async checked(news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const c = await this.mod.check(this.outs, news);
    if (c.failures?.length) throw new Error(`check failed: ${JSON.stringify(c.failures)}`);
    return c.inputs as Record<string, unknown>;
  }

  async create(): Promise<this> {
    this.stateInputs = await this.checked(this.inputs);
    const r = await this.mod.create(this.stateInputs);
    this.id = r.id;
    this.outs = r.outs as Record<string, unknown>;
    return this;
  }

  /**
   * Refresh: returns what read() reported (undefined id = gone) and adopts it as state, like the engine: a read
   * that returns no inputs leaves the state's inputs as they were, and `inputs` here are then those.
   */
  async refresh(): Promise<dynamic.ReadResult & { inputsReturned?: boolean }> {
    forgetAllFacts(); // `pulumi refresh` runs in a fresh provider process: nothing cached
    const r = await this.mod.read(this.id, this.outs);
    if (!r.id) return r;
    this.outs = r.props as Record<string, unknown>;
    if (r.inputs) this.stateInputs = r.inputs;
    return { ...r, inputs: this.stateInputs, inputsReturned: r.inputs !== undefined };
  }

  async diff(news: Record<string, unknown> = this.inputs): Promise<dynamic.DiffResult> {
    return this.mod.diff(this.id, this.outs, await this.checked(news));
  }

  /** Apply `news` like `pulumi up` would: update in place, or replace (delete first when diff says so). */
  async up(news: Record<string, unknown> = this.inputs): Promise<dynamic.DiffResult> {
    const d = await this.diff(news);
    const checked = await this.checked(news);
    if (d.replaces?.length) {
      if (d.deleteBeforeReplace) await this.mod.delete(this.id, this.outs);
      const r = await this.mod.create(checked);
      if (!d.deleteBeforeReplace) await this.mod.delete(this.id, this.outs);
      this.id = r.id;
      this.outs = r.outs as Record<string, unknown>;
      this.stateInputs = checked;
    } else if (d.changes) {
      const r = await this.mod.update(this.id, this.outs, checked);
      this.outs = r.outs as Record<string, unknown>;
      this.stateInputs = checked;
    }
    this.inputs = news;
    return d;
  }

  async delete(): Promise<void> {
    await this.mod.delete(this.id, this.outs);
  }
}

export function owner(test: string, name: string): string {
  return `labtest/${test}/${name}`;
}
