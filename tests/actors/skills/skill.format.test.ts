/** The SKILL.md format: what is read from hand-written files and what the tools write. */
import { describe, expect, test } from "vitest";
import { parseSkillFile, renderSkillFile, skillNameProblem, type SkillDocument } from "../../../actors/skills/index.ts";

const parse = (text: string) => {
  const r = parseSkillFile(text);
  if (!r.ok) throw new Error(r.problem);
  return r.doc;
};

describe("SKILL.md", () => {
  test("reads plain, quoted and block values, and the body after the frontmatter", () => {
    expect(
      parse("---\nname: pdf-tools\ndescription: Extract text from PDFs. Use when a PDF is mentioned.\n---\n\n# PDF\n\nSteps.\n"),
    ).toEqual({
      name: "pdf-tools",
      description: "Extract text from PDFs. Use when a PDF is mentioned.",
      body: "# PDF\n\nSteps.",
      extra: [],
    });
    expect(parse('---\nname: "a"\ndescription: "Say \\"hi\\": twice"\n---\nx').description).toBe('Say "hi": twice');
    expect(parse("---\nname: a\ndescription: 'it''s fine'\n---\nx").description).toBe("it's fine");
    expect(parse("---\nname: a\ndescription: >\n  Folded over\n  two lines\n---\nx").description).toBe("Folded over two lines");
    expect(parse("---\nname: a\ndescription: |\n  Kept\n  lines\n---\nx").description).toBe("Kept lines"); // one line in the prompt
    expect(parse("---\r\nname: a\r\ndescription: crlf # a comment\r\n---\r\nbody\r\n")).toMatchObject({
      description: "crlf",
      body: "body",
    });
  });

  test("keeps other frontmatter keys verbatim", () => {
    const doc = parse("---\nname: a\nlicense: MIT\ndescription: d\nmetadata:\n  author: me\nallowed-tools:\n- read_file\n---\nbody");
    expect(doc.extra).toEqual(["license: MIT", "metadata:\n  author: me", "allowed-tools:\n- read_file"]);
  });

  test("says what is wrong with a malformed file", () => {
    const problem = (t: string) => {
      const r = parseSkillFile(t);
      return r.ok ? "ok" : r.problem;
    };
    expect(problem("# just markdown")).toMatch(/does not start with a '---'/);
    expect(problem("---\nname: a\ndescription: d\n")).toMatch(/not closed/);
    expect(problem("---\ndescription: d\n---\n")).toMatch(/no 'name'/);
    expect(problem("---\nname: a\n---\n")).toMatch(/no 'description'/);
    expect(problem("---\nname: Not Valid\ndescription: d\n---\n")).toMatch(/lowercase/);
    expect(problem("---\nname: a\nname: b\ndescription: d\n---\n")).toMatch(/twice/);
    expect(problem("---\nname: a\ndescription: [1, 2]\n---\n")).toMatch(/not a string/);
    expect(problem("---\nname: a\ndescription: d\nnot yaml at all\n---\n")).toMatch(/is not 'key: value'/);
    expect(problem(`---\nname: a\ndescription: ${"x".repeat(1025)}\n---\n`)).toMatch(/at most 1024/);
  });

  test("what is rendered parses back to the same document, whatever the description holds", () => {
    const descriptions = [
      "Plain words",
      "Has: a colon",
      "ends with colon:",
      "- dash first",
      "true",
      "quote \" and ' and # hash",
      "[not a list]",
      "C# code",
      "  padded  ",
    ];
    for (const description of descriptions) {
      const doc: SkillDocument = {
        name: "x-1",
        description: description.trim(),
        body: "# T\n\n---\nnot frontmatter",
        extra: ["license: MIT"],
      };
      expect(parse(renderSkillFile(doc))).toEqual(doc);
    }
  });

  test("names: lowercase letters, digits, single inner hyphens, at most 64", () => {
    for (const ok of ["a", "summarize-pr", "x1-2-3", "a".repeat(64)]) expect(skillNameProblem(ok)).toBeUndefined();
    for (const bad of ["", "A", "-a", "a-", "a--b", "a_b", "a.b", "../x", "a/b", ".hidden", "a b", "a".repeat(65), "é"]) {
      expect(skillNameProblem(bad), bad).toBeDefined();
    }
  });
});
