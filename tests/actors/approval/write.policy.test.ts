import { describe, expect, test } from "vitest";
import { protectedWriteReason } from "../../../actors/approval/index.ts";

describe("paths whose content later commands execute", () => {
  test.each([
    ".git/config",
    ".git/hooks/pre-commit",
    ".git",
    "sub/repo/.git/config",
    "vendor/lib/.git", // a submodule's gitfile
    ".GIT/config",
    ".Git/hooks/post-checkout",
    ".git./config",
    ".git /config",
    ".g\u200Cit/config", // HFS+ ignores zero-width non-joiners
    "src/../.git/config",
    "./.git/config",
    "a/b/../../.git/info/attributes",
    ".gitmodules",
    "lib/.gitmodules",
    ".gitconfig",
    ".config/git/config",
    ".config/git/attributes",
    ".envrc",
    "app/.envrc",
    ".cairn/hooks/on-start",
    ".cairn/outputs/x.txt",
    ".cairn",
    ".bashrc",
    ".profile",
    ".zshenv",
  ])("%j needs an approval", (p) => {
    expect(protectedWriteReason(p)).toEqual(expect.any(String));
  });

  test.each([
    "README.md",
    "src/index.ts",
    ".gitignore",
    ".gitattributes",
    ".github/workflows/ci.yml",
    "git/config",
    ".gitx/config",
    "docs/.cairn/notes.md", // only the root .cairn is cairn's
    "src/.bashrc", // only HOME's (the root's) start-up files are read
    ".config/nvim/init.lua",
    "Makefile",
    "package.json",
  ])("%j is an ordinary file", (p) => {
    expect(protectedWriteReason(p)).toBeUndefined();
  });

  test("names the reason", () => {
    expect(protectedWriteReason(".git/config")).toMatch(/\.git configures programs that later commands run/);
    expect(protectedWriteReason("../x")).toBe("the path leaves the workspace");
  });
});
