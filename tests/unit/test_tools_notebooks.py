"""tools.notebooks: the MyST -> notebook Markdown rewrite and the code clean-up, on small inputs."""
from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
import pytest

from tools import notebooks as nbt

ROOT = Path(__file__).resolve().parents[2]


#: Where Sphinx serves code/blitz/lenet.py for a {download} (sphinx.util.DownloadFiles: md5 of the path).
LENET_DOWNLOAD = f"_downloads/{hashlib.md5(b'code/blitz/lenet.py').hexdigest()}/lenet.py"


def _ctx(glue=None, mask_glue=False) -> nbt.Context:
    site = nbt.SiteIndex("https://example.org/book/",
                         targets={"ch-x": ("book/x.html#ch-x", "Chapter X"), "sec": ("book/x.html#sec", "A section"),
                                  "fig-a": ("book/x.html#fig-a", "The caption"),
                                  "references": ("book/references.html#references", "References")},
                         numbers={"fig-a": "Fig. 3.1"},
                         terms={"autograd": "book/glossary.html#term-autograd",
                                "learning rate": "book/glossary.html#term-learning-rate"},
                         downloads={LENET_DOWNLOAD})
    return nbt.Context("x", ROOT / "book", glue or {}, site, root=ROOT, mask_glue=mask_glue)


def rewrite(text: str, glue=None, mask_glue=False) -> tuple[str, dict]:
    attachments: dict = {}
    return nbt.rewrite_markdown(_ctx(glue, mask_glue), text, attachments), attachments


def test_labels_and_comments_disappear_references_become_site_links():
    out, _ = rewrite("(ch-x)=\n# Title\n% a comment\nSee {ref}`ch-x`, {ref}`this part <sec>` and {numref}`fig-a`.")
    assert out == ("# Title\nSee [Chapter X](https://example.org/book/book/x.html#ch-x), "
                   "[this part](https://example.org/book/book/x.html#sec) and "
                   "[Fig. 3.1](https://example.org/book/book/x.html#fig-a).")


def test_glue_roles_become_their_values_formatted_as_the_page():
    glue = {"n": {"text/plain": "12345.678"}, "s": {"text/plain": "'faster'"}, "m": {"text/markdown": "**H100**"}}
    out, _ = rewrite("{glue:text}`n:,.0f` and {glue:text}`s`, on {glue:md}`m`; `{glue:text}` as code.", glue)
    assert out == "12,346 and faster, on **H100**; `{glue:text}` as code."


def test_mask_glue_writes_every_glued_text_as_the_mask():
    glue = {"n": {"text/plain": "12345.678"}, "m": {"text/markdown": "**H100**"}}
    out, _ = rewrite("{glue:text}`n:,.0f` on {glue:md}`m`.", glue, mask_glue=True)
    assert out == f"{nbt.GLUE_MASK} on {nbt.GLUE_MASK}."
    with pytest.raises(nbt.NotebookError, match="glued"):  # a missing value still fails
        rewrite("{glue:text}`missing`", mask_glue=True)


def test_glossary_terms_become_links_to_their_entry():
    out, _ = rewrite("{term}`Autograd` records, the {term}`rate <learning rate>`, a {term}`learning\nrate`.")
    assert out == ("[Autograd](https://example.org/book/book/glossary.html#term-autograd) records, the "
                   "[rate](https://example.org/book/book/glossary.html#term-learning-rate), a "
                   "[learning rate](https://example.org/book/book/glossary.html#term-learning-rate).")
    with pytest.raises(nbt.NotebookError, match="glossary term 'tensor'"):
        rewrite("a {term}`tensor`")


def test_downloads_link_to_the_file_the_site_serves():
    out, _ = rewrite("Get {download}`the script <../code/blitz/lenet.py>` or {download}`/code/blitz/lenet.py`.")
    url = f"https://example.org/book/{LENET_DOWNLOAD}"
    assert out == f"Get [the script]({url}) or [`lenet.py`]({url})."
    with pytest.raises(nbt.NotebookError, match="missing file"):
        rewrite("{download}`../code/blitz/no_such_file.py`")
    with pytest.raises(nbt.NotebookError, match="no _downloads/.*/train.py in the built site"):
        rewrite("{download}`../code/blitz/train.py`")  # a file the site does not serve


def test_citations_read_as_on_the_page_and_link_to_the_references(tmp_path: Path):
    (tmp_path / "_config.yml").write_text("bibtex_bibfiles: [refs.bib]\n", encoding="utf-8")
    (tmp_path / "refs.bib").write_text(
        "@article{one, author = {Ioffe, Sergey and Szegedy, Christian}, title = {BN}, year = {2015}}\n"
        "@article{many, author = {Goyal, Priya and Doll{\\'a}r, Piotr and Girshick, Ross}, title = {SGD}, "
        "year = {2017}}\n", encoding="utf-8")
    ctx = _ctx()
    ctx.root = tmp_path
    refs = "(https://example.org/book/book/references.html#references)"
    out = nbt.rewrite_markdown(ctx, "Norm {cite:p}`one`; {cite:t}`many` says; rule of {cite:alp}`many`; "
                                    "{cite:p}`one,many`.", {})
    assert out == (f"Norm [(Ioffe and Szegedy, 2015)]{refs}; [Goyal et al. (2017)]{refs} says; "
                   f"rule of [Goyal et al., 2017]{refs}; [(Ioffe and Szegedy, 2015; Goyal et al., 2017)]{refs}.")
    with pytest.raises(nbt.NotebookError, match="citation 'nobody' is not in the bibliography"):
        nbt.rewrite_markdown(ctx, "{cite:p}`nobody`", {})


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
        rewrite("{sub-ref}`today`")
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


def test_hidden_cells_keep_their_code_less_glue_and_are_marked_hidden():
    setup = nbformat.v4.new_code_cell("import os\nfrom myst_nb import glue\nEPOCHS = 2\nglue('e', EPOCHS)")
    cell = nbt.code_cell(setup, {"remove-cell"})
    assert cell.source == f"#@title {nbt.HIDDEN_TITLE}\nimport os\nEPOCHS = 2"
    assert cell.metadata["jupyter"] == {"source_hidden": True}  # JupyterLab collapses it
    assert cell.metadata["cellView"] == "form"  # Colab too, showing the #@title line
    assert nbt.code_cell(setup, {"remove-cell"}, "Versteckt").source.startswith("#@title Versteckt\n")
    visible = nbt.code_cell(setup, set())
    assert "jupyter" not in visible.metadata and "cellView" not in visible.metadata  # a visible cell stays visible
    assert "#@title" not in visible.source
    assert nbt.code_cell(nbformat.v4.new_code_cell("glue('a', 1)\nglue('b', 2)"), {"remove-cell"}) is None


def test_install_cell_names_the_commit_and_keeps_torch():
    cell = nbt.install_cell("https://github.com/o/r", "a" * 40)
    assert '"git+https://github.com/o/r@' + "a" * 40 + '"' in cell
    assert "myst" not in cell and "--upgrade" not in cell and "torch" in cell.splitlines()[0]
    assert sum(line.startswith("#") for line in cell.splitlines()) == 1


def test_a_directive_in_a_list_item_is_rewritten_and_stays_in_the_item():
    text = ("1. Why?\n\n   ````{dropdown} Solution\n   Because of {ref}`sec`.\n\n   ```python\n   x = 1\n   ```\n"
            "   ````\n\n2. Next.")
    out, _ = rewrite(text)
    assert out == ("1. Why?\n\n   <details>\n   <summary>Solution</summary>\n\n"
                   "   Because of [A section](https://example.org/book/book/x.html#sec).\n\n"
                   "   ```python\n   x = 1\n   ```\n\n   </details>\n\n2. Next.")


def test_blank_lines_collapse_in_prose_but_not_inside_code():
    out, _ = rewrite("One.\n\n\n\nTwo.\n\n```python\ndef f():\n    pass\n\n\ndef g():\n    pass\n```\n\n\nThree.")
    assert out == "One.\n\nTwo.\n\n```python\ndef f():\n    pass\n\n\ndef g():\n    pass\n```\n\nThree."


def test_an_answers_printed_output_is_a_measurement_that_masking_hides():
    outputs = [{"output_type": "stream", "name": "stdout", "text": "in turns: 1.35\n"}]
    shown = nbt._answer("print(ratio)", outputs)
    assert "It prints:\n\n```text\nin turns: 1.35\n```" in shown and shown.startswith("<details>")
    masked = nbt._answer("print(ratio)", outputs, mask=True)
    assert f"```text\n{nbt.GLUE_MASK}\n```" in masked and "1.35" not in masked
    assert "It prints" not in nbt._answer("x = 1", [], mask=True)  # nothing printed, nothing to mask


def test_a_collapsed_cell_is_an_answer_only_inside_the_exercises():
    assert nbt._exercises_level("## Exercises\n\n1. Try it.", 0) == 2
    assert nbt._exercises_level("### Answer 1", 2) == 2  # a sub-heading stays inside
    assert nbt._exercises_level("## Recap", 2) == 0  # the next section of the same level leaves
    assert nbt._exercises_level("```python\n# Exercises in a comment\n```", 0) == 0
    assert "<summary>Show the answer's code</summary>" in nbt._answer("x = 1", [], answer=True)
    aside = nbt._answer("x = 1", [{"output_type": "stream", "text": "1\n"}], answer=False)
    assert "<summary>Show the code</summary>" in aside and "x = 1" in aside and "1" in aside


def test_install_cell_stops_at_once_on_a_torch_older_than_the_floor(tmp_path):
    """A reader's old torch gets one line naming the version needed, before pip downloads anything."""
    import subprocess
    import sys

    from tools import torch_versions

    cell = nbt.install_cell("https://github.com/o/r", "a" * 40)
    check = cell.split("if importlib.util.find_spec")[0]  # everything before the install itself
    floor = torch_versions.floors()["torch"]
    for version, stops in (("2.3.1+cu121", True), ("1.13.0", True), (f"{floor}.0", False), ("2.14.1", False)):
        (tmp_path / "torch.py").write_text(f"__version__ = {version!r}\n")  # a stand-in torch
        run = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True,
                             env={"PYTHONPATH": str(tmp_path)})
        assert (run.returncode != 0) == stops, (version, run.stderr)
        if stops:
            assert f"needs torch >= {'.'.join(floor.split('.')[:2])}" in run.stderr and version in run.stderr


def test_a_cell_that_raises_on_purpose_keeps_its_tag():
    cell = nbt.code_cell(nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
                         {"raises-exception"})
    assert cell.metadata["tags"] == ["raises-exception"] and "jupyter" not in cell.metadata
    assert "tags" not in nbt.code_cell(nbformat.v4.new_code_cell("1"), set()).metadata
