import { describe, expect, it } from "vitest";
import { decodeEntities, htmlToText } from "../../../../actors/tools/web/index.ts";

const text = (html: string, url = "https://site.example/dir/page.html") => htmlToText(html, url).text;

describe("decodeEntities", () => {
  it("decodes named, decimal and hex references", () => {
    expect(decodeEntities("&lt;a&gt; &amp; &quot;q&quot; &apos;s&apos; &nbsp;&copy;&eacute;&hellip;&rarr;")).toBe(
      "<a> & \"q\" 's' \u00a0©é…→",
    );
    expect(decodeEntities("&#65;&#x42;&#X43;&#128512;&#x1F600;")).toBe("ABC😀😀");
  });

  it("repairs what browsers repair: C1 as windows-1252, invalid code points as U+FFFD", () => {
    expect(decodeEntities("&#150;&#x93;x&#x94;&#153;")).toBe("–“x”™");
    expect(decodeEntities("&#0;&#xD800;&#x110000;")).toBe("\uFFFD\uFFFD\uFFFD");
  });

  it("leaves unknown names alone and decodes legacy names without a semicolon in text only", () => {
    expect(decodeEntities("&bogus; &amp")).toBe("&bogus; &");
    expect(decodeEntities("AT&T &copy 2024")).toBe("AT&T © 2024");
    expect(decodeEntities("?a=1&copy=2&amp;b", true)).toBe("?a=1&copy=2&b");
  });
});

describe("htmlToText", () => {
  it("keeps the title and drops head, script, style and chrome", () => {
    const r = htmlToText(
      `<html><head><title> A   &amp; B </title><script>var a = "</p>";</script><style>p{}</style></head>
       <body><nav>menu</nav><svg><title>icon</title></svg><p>body text</p><footer>foot</footer></body></html>`,
      "https://x.example/",
    );
    expect(r).toEqual({ title: "A & B", text: "body text" });
  });

  it("finds the end of <head> without a closing tag", () => {
    expect(text("<head><title>t</title><meta charset=utf-8><h1>Heading</h1><p>after")).toBe("# Heading\n\nafter");
  });

  it("drops hidden elements", () => {
    expect(
      text(`<p>shown</p><div hidden>a</div><div aria-hidden="true">b</div><div style="color:red; display: none">c</div>
            <span style="visibility:hidden">d</span><p>end</p>`),
    ).toBe("shown\n\nend");
  });

  it("writes headings, paragraphs and line breaks", () => {
    expect(text("<h1>One</h1><h3>Three</h3><p>para one</p><p>para<br>two<br><br>three</p>")).toBe(
      "# One\n\n### Three\n\npara one\n\npara\ntwo\n\nthree",
    );
  });

  it("collapses whitespace, but not inside pre", () => {
    expect(text("<p>  a \n\t b   <b> c </b>d</p>")).toBe("a b c d");
    expect(text("<pre>\n  x  =  1\n\n  y</pre>")).toBe("```\n  x  =  1\n\n  y\n```");
  });

  it("writes lists, nested and numbered", () => {
    expect(text("<ul><li>a<ul><li>a1</li><li>a2</li></ul></li><li>b</li></ul><ol><li>x</li><li>y</ol>")).toBe(
      "- a\n  - a1\n  - a2\n- b\n\n1. x\n2. y",
    );
    // Unclosed <li>s, as HTML allows.
    expect(text("<ul><li>one<li>two</ul>")).toBe("- one\n- two");
  });

  it("writes links as text (absolute url), honouring <base>", () => {
    expect(
      text(`<p><a href="next.html">Next</a>, <a href="/top">Top</a>, <a href="#s">skip</a>, <a href="javascript:x()">js</a></p>`),
    ).toBe("Next (https://site.example/dir/next.html), Top (https://site.example/top), skip, js");
    expect(text(`<head><base href="https://cdn.example/b/"></head><a href="x">X</a>`)).toBe("X (https://cdn.example/b/x)");
    // A link whose text is its URL is not repeated.
    expect(text(`<a href="https://a.example/">https://a.example/</a>`)).toBe("https://a.example/");
    expect(text(`<a href="/img"><img src="i.png" alt="Logo"></a>`)).toBe("[image: Logo] (https://site.example/img)");
  });

  it("marks inline code and fences pre blocks", () => {
    expect(text("<p>Run <code>npm test</code> now</p><pre><code class=js>if (a &lt; b) {\n  go();\n}</code></pre>")).toBe(
      "Run `npm test` now\n\n```\nif (a < b) {\n  go();\n}\n```",
    );
  });

  it("writes tables as rows", () => {
    expect(text("<table><caption>T</caption><tr><th>a</th><th>b</th></tr><tr><td> 1 </td><td>2</td></tr></table><p>after</p>")).toBe(
      "T\na | b\n1 | 2\n\nafter",
    );
  });

  it("quotes blockquotes", () => {
    expect(text("<p>x</p><blockquote><p>quoted</p><p>more</p></blockquote><p>y</p>")).toBe("x\n\n> quoted\n\n> more\n\ny");
  });

  it("survives malformed markup", () => {
    expect(text("<p>a < b and c > d</p><p>x <!-- comment <p>no</p> --> y</p><div <p>z")).toBe("a < b and c > d\n\nx y\n\nz"); // "<p" is an attribute name, as in browsers
    expect(text("<p>unterminated <a href='/x'>link")).toBe("unterminated link");
    expect(text("<script>never closed <p>lost")).toBe("");
    expect(text("</div></p>text<br/>more")).toBe("text\nmore");
  });

  it("keeps the text of textareas and title-like RCDATA decoded", () => {
    expect(text("<textarea>&lt;b&gt; raw</textarea>")).toBe("<b> raw");
  });

  it("converts a 2 MiB page", () => {
    const row = `<tr><td><a href="/item/1">Item &amp; one</a></td><td><code>x &lt; 1</code></td></tr>\n`;
    const html = `<html><body><h1>Big</h1><table>${row.repeat(Math.ceil((2 * 1024 * 1024) / row.length))}</table></body></html>`;
    const out = text(html);
    expect(out.startsWith("# Big\n\nItem & one (https://site.example/item/1) | `x < 1`\n")).toBe(true);
    expect(out.split("\n").length).toBeGreaterThan(20_000);
  });
});
