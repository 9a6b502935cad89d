"""tools.glossary: every chapter links its first use of each glossary term (Appendix C)."""
from __future__ import annotations

from pathlib import Path

from tools import glossary

TERMS = ["batch", "batch size", "tensor", "CUDA", "node", "gradient"]

CHAPTER = '''---
kernelspec:
  name: python3
---

(ch-demo)=
# A tensor in the heading is not linked

*Original section: tensor ("张量").*

Inline `tensor` code, $tensor$ maths and [a tensor link](https://example.org) are not prose.

```{code-cell} ipython3
tensor = 1  # code is never linked
```

:::{admonition} A tensor in a title
:class: note
Tensors live on a device; the batch size is 4, and every batch is
a tensor too. Cuda in lower case is not the acronym, but CUDA is.
:::

Each node of a graph, and the gradient
of a loss.
'''


def test_first_uses_are_linked_once_and_only_in_prose():
    out = glossary.link_first_uses(CHAPTER, TERMS, page="demo")
    assert "{term}`Tensors <tensor>` live on a device" in out  # plural, capitalised: an explicit target
    assert "the {term}`batch size` is 4, and every {term}`batch` is\na tensor too" in out  # longest term first
    assert "Cuda in lower case is not the acronym, but {term}`CUDA` is." in out
    assert "and the {term}`gradient`\nof a loss" in out
    assert "Each node of a graph" in out  # "node" means a machine only in the distributed chapter
    for untouched in ("# A tensor in the heading", "*Original section: tensor", "Inline `tensor` code",
                      "$tensor$", "[a tensor link]", "tensor = 1", "A tensor in a title"):
        assert untouched in out
    assert out.count("{term}") == 5
    assert glossary.link_first_uses(out, TERMS, page="demo") == out  # idempotent


def test_a_term_wrapped_over_two_lines_becomes_one_link():
    text = "The batch\nsize matters.\n"
    assert glossary.link_first_uses(text, TERMS, page="demo") == "The {term}`batch size` matters.\n"


def test_only_in_terms_are_linked_where_their_sense_holds():
    assert "{term}`node`" in glossary.link_first_uses("A node runs four processes.\n", TERMS, page="distributed")


def test_problems_name_unlinked_first_uses_and_unknown_targets(tmp_path: Path):
    page = tmp_path / "demo.md"
    page.write_text("A tensor, then a {term}`tensor`, and a {term}`widget`.\n", encoding="utf-8")
    found = glossary.problems(page, TERMS)
    assert any("first use of 'tensor' is not a {term} link" in p for p in found)
    assert any("'widget', which the glossary lacks" in p for p in found)
    page.write_text("A {term}`tensor`, then a tensor.\n", encoding="utf-8")
    assert glossary.problems(page, TERMS) == []


def test_glossary_terms_are_read_from_the_appendix(repo_root: Path):
    terms = glossary.glossary_terms(repo_root)
    assert len(terms) >= 60 and len(set(terms)) == len(terms)
    assert {"tensor", "broadcasting", "Jacobian matrix", "batch normalisation"} <= set(terms)


def test_every_chapter_links_its_first_use_of_each_term(repo_root: Path):
    """The book's promise (glossary.md): "Chapters link a term here the first time they use it"."""
    terms = glossary.glossary_terms(repo_root)
    sources = glossary.chapters(repo_root)
    assert len(sources) >= 8
    found = [p for source in sources for p in glossary.problems(source, terms)]
    assert not found, "run `make glossary-links` and read the diff:\n" + "\n".join(found)
