"""tools.notebooks: the MyST -> notebook Markdown rewrite and the code clean-up, on small inputs."""
from __future__ import annotations

from pathlib import Path

import pytest

from tools import notebooks as nbt

ROOT = Path(__file__).resolve().parents[2]


def _ctx(glue=None) -> nbt.Context:
    site = nbt.SiteIndex("https://example.org/book/",
                         targets={"ch-x": ("book/x.html#ch-x", "Chapter X"), "sec": ("book/x.html#sec", "A section"),
                                  "fig-a": ("book/x.html#fig-a", "The caption")},
                         numbers={"fig-a": "Fig. 3.1"})
    return nbt.Context("x", ROOT / "book", glue or {}, site)


def rewrite(text: str, glue=None) -> tuple[str, dict]:
    attachments: dict = {}
    return nbt.rewrite_markdown(_ctx(glue), text, attachments), attachments


def test_labels_and_comments_disappear_references_become_site_links():
    out, _ = rewrite("(ch-x)=\n# Title\n% a comment\nSee {ref}`ch-x`, {ref}`this part <sec>` and {numref}`fig-a`.")
    assert out == ("# Title\nSee [Chapter X](https://example.org/book/book/x.html#ch-x), "
                   "[this part](https://example.org/book/book/x.html#sec) and "
                   "[Fig. 3.1](https://example.org/book/book/x.html#fig-a).")


def test_glue_roles_become_their_values_formatted_as_the_page():
    glue = {"n": {"text/plain": "12345.678"}, "s": {"text/plain": "'faster'"}, "m": {"text/markdown": "**H100**"}}
    out, _ = rewrite("{glue:text}`n:,.0f` and {glue:text}`s`, on {glue:md}`m`; `{glue:text}` as code.", glue)
    assert out == "12,346 and faster, on **H100**; `{glue:text}` as code."


def test_admonitions_are_block_quotes_and_dropdowns_details():
    out, _ = rewrite(":::{admonition} Note on the original\n:class: note\nBody with {ref}`sec`.\n\nMore.\n:::")
    assert out == ("> **Note on the original**\n>\n> Body with [A section](https://example.org/book/book/x.html#sec)."
                   "\n>\n> More.")
    out, _ = rewrite("::::{admonition} Answer 1\n:class: dropdown\n$x^2$\n::::")
    assert out == "<details>\n<summary>Answer 1</summary>\n\n$x^2$\n\n</details>"


def test_literalinclude_is_the_code_sphinx_shows():
    out, _ = rewrite("```{literalinclude} ../code/blitz/batches.py\n:pyobject: normalize\n```")
    assert out.startswith("```python\ndef normalize(") and out.endswith("```")
    assert "{literalinclude}" not in out


def test_glued_figure_is_an_attachment_with_number_and_caption():
    glue = {"f": {"image/png": "iVBORw0", "text/plain": "<Figure>"}}
    out, attachments = rewrite("```{glue:figure} f\n:alt: A plot\n:name: fig-a\n\nThe caption.\n```", glue)
    assert out == "![A plot](attachment:f.png)\n\n*Fig. 3.1* The caption."
    assert attachments == {"f.png": {"image/png": "iVBORw0"}}


def test_plain_code_blocks_stay_verbatim():
    text = "```python\n(label)=\n{ref}`x`\n```"
    assert rewrite(text)[0] == text


def test_unknown_syntax_fails_loudly():
    with pytest.raises(nbt.NotebookError, match="directive"):
        rewrite("```{mermaid}\ngraph\n```")
    with pytest.raises(nbt.NotebookError, match="role"):
        rewrite("{cite}`paszke2017`")
    with pytest.raises(nbt.NotebookError, match="glued"):
        rewrite("{glue:text}`missing`")


def test_without_glue_removes_the_import_and_every_glue_statement():
    code = ("%matplotlib inline\nimport torch\nfrom myst_nb import glue\nx = 1\nglue('x', x, display=False)\n"
            "glue('y',\n     x + 1,\n     display=False)\nprint(x)")
    assert nbt.without_glue(code) == "%matplotlib inline\nimport torch\nx = 1\nprint(x)"
    assert nbt.without_glue("def f(k):\n    y = k + 1\n    glue(k, y)\n    return y") == \
        "def f(k):\n    y = k + 1\n    return y"
    with pytest.raises(nbt.NotebookError, match="only glue"):
        nbt.without_glue("if True:\n    glue('x', 1)")


def test_install_cell_names_the_commit_and_keeps_torch():
    cell = nbt.install_cell("https://github.com/o/r", "a" * 40)
    assert '"git+https://github.com/o/r@' + "a" * 40 + '"' in cell
    assert "myst" not in cell and "--upgrade" not in cell and "torch" in cell.splitlines()[0]
    assert sum(line.startswith("#") for line in cell.splitlines()) == 1
