import type { ChannelAccess } from "../../schemas/index.ts";
import type { ToolSpec } from "../llm/index.ts";
import type { ToolRegistry } from "../tools/index.ts";

/**
 * A channel sender's level applied to a run (`schemas/channels.ts` says what each level means).
 * Absent is the owner's own run. The level travels with the run (`run.started`), so a run resumed
 * on another gateway after a crash keeps the limits it started with.
 */

/** The tools offered to the model: a read-only sender's runs see only tools that change nothing. */
export const accessibleSpecs = (specs: ToolSpec[], registry: ToolRegistry | undefined, access: ChannelAccess | undefined): ToolSpec[] =>
  access === "read-only" ? specs.filter((s) => registry?.get(s.name)?.readOnly === true) : specs;

/**
 * Why a call must not run at this level, or undefined when the usual gate decides. The model may
 * still name a tool it was not offered (from history, or made up): refused with a result it reads.
 */
export const accessRefusal = (registry: ToolRegistry | undefined, access: ChannelAccess | undefined, name: string): string | undefined => {
  if (access !== "read-only" || registry?.get(name)?.readOnly === true) return undefined;
  return `${name} may change something, and the person who wrote this message has read-only access on their channel; it was not run`;
};

/**
 * Whether the owner's waivers — `approval_mode = "never"`, an allowlist, "always allow" — apply.
 * They are the owner's choices for their own runs: a sender with `execute` still has every
 * dangerous call approved by a person.
 */
export const ownerWaiversApply = (access: ChannelAccess | undefined): boolean => access === undefined || access === "admin";
