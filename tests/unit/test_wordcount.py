"""tools.wordcount: what counts on Part I's main path, and Part I within the hour (README, "Reading time")."""
from __future__ import annotations

from pathlib import Path

import pytest

from tools import wordcount

CHAPTER = '''---
jupytext:
  text_representation:
    extension: .md
kernelspec:
  name: python3
---

(ch-demo)=
# Demo chapter

One two three.
A role {ref}`the next chapter <ch-gpu>` and a number {glue:text}`key:.1f` here.

```{code-cell} ipython3
:tags: [remove-cell]
hidden set up code is never counted
```

```{code-cell} ipython3
print("visible code is not counted either")
```

```{literalinclude} ../code/blitz/lenet.py
:pyobject: LeNet
```

Inline `code` and $x^2$ and a [link text](https://example.org) count.

$$
a = b + c
$$

+++

% a comment

:::{admonition} Note on the original
:class: note
Open notes count.
:::

:::{admonition} The source (click to open)
:class: dropdown
Collapsed asides do not count at all.
```python
nor their code
```
:::

```{toggle}
Toggled text is not counted.
```

## Exercises

1. Exercises are not counted.

:::{admonition} Answers
:class: dropdown
Nor the answers.
:::

### A sub-heading of the exercises

Still exercises.

## Recap

Recap counts.
'''


def test_the_rules_on_a_hand_made_chapter() -> None:
    # "Demo chapter" 2 | "One two three." 3 | role sentence: A role the next chapter and a number x here = 10
    # | "Inline x and x and a link text count." 9 | "Note on the original" 4 | "Open notes count." 3
    # | "Recap" 1 | "Recap counts." 2
    assert wordcount.count_words(CHAPTER) == 2 + 3 + 10 + 9 + 4 + 3 + 1 + 2


def test_what_is_kept() -> None:
    kept = "\n".join(wordcount.prose_lines(CHAPTER))
    for gone in ("jupytext", "ch-demo)=", "hidden", "visible code", "pyobject", "a = b", "comment",
                 "Collapsed", "nor their code", "Toggled", "Exercises are", "Nor the answers", "Still exercises",
                 ":class:", "+++"):
        assert gone not in kept, gone
    for there in ("# Demo chapter", "Open notes count.", "Note on the original", "## Recap", "Recap counts."):
        assert there in kept, there


def test_a_role_may_run_over_two_lines() -> None:
    assert wordcount.count_words("See {ref}`the\nnext chapter <ch-gpu>` now.\n") == 5


def test_part_one_reads_gpu_sources(tmp_path: Path) -> None:
    (tmp_path / "book" / "gpu").mkdir(parents=True)
    (tmp_path / "book" / "a.md").write_text("# A\n\nword\n")
    (tmp_path / "book" / "gpu" / "b.md").write_text("# B\n")
    (tmp_path / "book" / "c.md").write_text("# C\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n"
        "  - caption: I\n    chapters:\n      - file: book/a\n      - file: book/b\n"
        "  - caption: II\n    chapters:\n      - file: book/c\n")
    assert wordcount.part_one(tmp_path) == [tmp_path / "book" / "a.md", tmp_path / "book" / "gpu" / "b.md"]
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/a\n")
    with pytest.raises(ValueError, match="no parts"):
        wordcount.part_one(tmp_path)


def test_code_lines_count_the_main_path_only(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "code" / "m.py").write_text(
        'import torch\n\n\n@decorated\ndef f(x):\n    """Doc."""\n\n    return x\n\n\ndef g():\n    pass\n')
    chapter = tmp_path / "book" / "c.md"
    text = CHAPTER.replace("../code/blitz/lenet.py\n:pyobject: LeNet", "../code/m.py\n:pyobject: g") + """
```{code-cell} ipython3
:tags: [hide-cell]
collapsed = "not counted"
```

```{literalinclude} ../code/m.py
:pyobject: f
```

```python
a = 1

b = 2
```

```text
printed output is not code
```
"""
    # CHAPTER's visible cell: 1 line; g: 2; f: 4 non-blank lines (decorator, def, docstring,
    # return); the python block: 2; hidden, collapsed, text, asides and exercises: 0
    assert wordcount.code_lines(text, chapter) == 1 + 2 + 4 + 2
    with pytest.raises(ValueError, match="no object"):
        wordcount.code_lines("```{literalinclude} ../code/m.py\n:pyobject: h\n```\n", chapter)
    with pytest.raises(FileNotFoundError, match="missing file"):
        wordcount.code_lines("```{literalinclude} ../code/none.py\n```\n", chapter)


def test_a_gpu_chapter_includes_relative_to_its_page(tmp_path: Path) -> None:
    (tmp_path / "book" / "gpu").mkdir(parents=True)
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "m.py").write_text("def f():\n    return 1\n")
    source = tmp_path / "book" / "gpu" / "g.md"
    assert wordcount.code_lines("```{literalinclude} ../code/m.py\n:pyobject: f\n```\n", source) == 2


def test_reading_minutes_are_words_over_200_plus_lines_over_15() -> None:
    text = "# T\n\n" + "word " * 398 + "\n\n```python\n" + "x = 1\n" * 30 + "```\n"
    assert wordcount.count_words(text) == 399 and wordcount.code_lines(text) == 30
    assert wordcount.reading_minutes(text) == pytest.approx(399 / 200 + 30 / 15)


def test_main_fails_above_the_budget(capsys: pytest.CaptureFixture) -> None:
    assert wordcount.main(["--minutes", "1"]) == 1
    assert "over its budget" in capsys.readouterr().err


def test_part_one_reads_within_the_hour() -> None:
    """design.md: Part I's main path reads in at most 60 minutes (words / 200 + code lines / 15)."""
    rows = wordcount.chapter_table(wordcount.part_one())
    assert sum(minutes for *_, minutes in rows) <= wordcount.BUDGET_MINUTES, rows


def test_cell_options_in_a_yaml_block_count_too() -> None:
    text = "```{code-cell} ipython3\n---\ntags: [hide-cell]\n---\nx = 1\n```\n\n```{code-cell} ipython3\n---\nmystnb:\n  number_source_lines: true\n---\ny = 2\n```\n"
    assert wordcount.code_lines(text) == 1
