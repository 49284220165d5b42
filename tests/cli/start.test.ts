/**
 * How `cairn` starts (cli/bin.mjs): `--version` and `--help` answered without loading the CLI,
 * and the bundle built when missing, rebuilt by the gateway (or CAIRN_DEV=1) when a source changed,
 * and otherwise used as it is.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { mainHelp, walksTheLog, WALK_SEMI_SPACE_MB } from "../../cli/launch.mjs";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "cli", "bin.mjs");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const tmp = mkdtempSync(join(tmpdir(), "cairn-start-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A module hook (module.register, Node ≥ 20.6) that appends every file: URL the process resolves.
const HOOKS = `
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith("file:")) appendFileSync(process.env.CAIRN_TEST_MODULE_LOG, r.url + "\\n");
  return r;
}`;
const register = join(tmp, "register.mjs");
writeFileSync(
  register,
  `import { register } from "node:module";\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});\n`,
);

const run = async (bin: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = await promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }).catch(
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return { code: "code" in r ? r.code : 0, stdout: r.stdout, stderr: r.stderr };
};

/** Runs `cairn args` and returns its stdout and the project files it loaded as modules. */
const modulesOf = async (args: string[]) => {
  const log = join(tmp, `modules-${args.join("_")}.log`);
  writeFileSync(log, "");
  const r = await promisify(execFile)(process.execPath, ["--import", register, BIN, ...args], {
    env: { ...process.env, CAIRN_TEST_MODULE_LOG: log },
  });
  const loaded = [...new Set(readFileSync(log, "utf8").split("\n").filter(Boolean))].map((u) => new URL(u).pathname.slice(ROOT.length + 1));
  return { stdout: r.stdout, loaded };
};

describe("cairn --version and --help", () => {
  it("--version and -v print package.json's version and load no module besides cli/bin.mjs", async () => {
    for (const flag of ["--version", "-v"]) {
      const { stdout, loaded } = await modulesOf([flag]);
      expect(stdout).toBe(`${VERSION}\n`);
      expect(loaded).toEqual(["cli/bin.mjs"]);
    }
  });

  it("--help, -h and help print the main help, loading only the dependency-free launch.mjs", async () => {
    for (const flag of ["--help", "-h", "help"]) {
      const { stdout, loaded } = await modulesOf([flag]);
      expect(stdout).toBe(`${mainHelp(VERSION)}\n`);
      expect(loaded).toEqual(["cli/bin.mjs", "cli/launch.mjs"]);
    }
    const help = mainHelp(VERSION);
    expect(help).toMatch(
      new RegExp(
        `^cairn ${VERSION.replaceAll(".", "\\.")} — a self-hosted personal AI gateway\n\nUsage: cairn \\[command\\] \\[options\\]`,
      ),
    );
    for (const command of ["gateway", "chat <message>", "sessions", "node", "cluster status <dir>"])
      expect(help).toContain(`\n  ${command} `);
    expect(help).toMatch(/Options: -h, --help {3}-v, --version$/);
  });

  it("a command's own --help still comes from the bundle", async () => {
    const r = await run(BIN, ["sessions", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cairn sessions list/);
  });
});

describe("the bundle", () => {
  // A copy of the runnable tree without dist/, as after a git clone (node_modules linked).
  const tree = join(tmp, "tree");
  for (const name of ["package.json", "package-lock.json", "schemas", "bus", "actors", "projections", "cli"]) {
    cpSync(join(ROOT, name), join(tree, name), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(tree, "node_modules"), "dir");
  const bin = join(tree, "cli", "bin.mjs");
  const entry = join(tree, "dist", "cli", "main.js");
  const env = { CAIRN_DATA_DIR: join(tmp, "data"), CAIRN_DEV: "" };
  const builtAt = () => statSync(entry).mtimeMs;
  /** Marks a source as edited after the bundle was built. */
  const editSource = () => {
    const later = new Date(builtAt() + 5_000);
    utimesSync(join(tree, "cli", "paths.ts"), later, later);
  };

  it("is built on first use when missing, then used by every command", async () => {
    const r = await run(bin, ["sessions", "list", "--json"], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: "unavailable" } });
    expect(statSync(entry).isFile()).toBe(true);
  });

  it("after a source is edited: other commands keep the bundle; CAIRN_DEV=1 and the gateway rebuild it", async () => {
    editSource();
    const before = builtAt();
    expect((await run(bin, ["sessions", "list", "--json"], env)).code).toBe(1);
    expect(builtAt()).toBe(before);

    expect((await run(bin, ["sessions", "list", "--json"], { ...env, CAIRN_DEV: "1" })).code).toBe(1);
    expect(builtAt()).toBeGreaterThan(before);

    editSource();
    const again = builtAt();
    const r = await run(bin, ["gateway", "--help"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cairn \[gateway\]/);
    expect(builtAt()).toBeGreaterThan(again);
  });
});

describe("a command that walks the whole log", () => {
  it("runs in a node started with a large young generation; other commands do not", async () => {
    expect(["log verify", "log archive", "events replay", "projections rebuild"].every((c) => walksTheLog(c.split(" ")))).toBe(true);
    expect(["log status", "events tail", "gateway", "sessions at"].some((c) => walksTheLog(c.split(" ")))).toBe(false);
    // Every node of the command notes its V8 flags (NODE_OPTIONS reaches the re-started one too).
    const log = join(tmp, "execargv.log");
    const note = join(tmp, "note-execargv.mjs");
    writeFileSync(log, "");
    writeFileSync(
      note,
      `import { appendFileSync } from "node:fs";\nappendFileSync(${JSON.stringify(log)}, JSON.stringify(process.execArgv) + "\\n");\n`,
    );
    const r = await run(BIN, ["log", "verify", "--help"], { NODE_OPTIONS: `--import ${note}` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("cairn log verify");
    const nodes = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as string[]);
    expect(nodes).toHaveLength(2);
    expect(nodes[1]).toContain(`--max-semi-space-size=${WALK_SEMI_SPACE_MB}`);
    writeFileSync(log, "");
    expect((await run(BIN, ["log", "status", "--help"], { NODE_OPTIONS: `--import ${note}` })).code).toBe(0);
    expect(readFileSync(log, "utf8").trim().split("\n")).toHaveLength(1);
  });
});
