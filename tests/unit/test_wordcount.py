"""tools.wordcount: what counts as Part I prose, and Part I within its budget (README, "Word count")."""
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


def test_main_fails_above_the_budget(capsys: pytest.CaptureFixture) -> None:
    assert wordcount.main(["--budget", "10"]) == 1
    assert "too many" in capsys.readouterr().err


def test_part_one_is_within_budget() -> None:
    """design.md: Part I reads in about an hour, at most 8,000 words of prose."""
    counts = {p.name: wordcount.count_words(p.read_text(encoding="utf-8")) for p in wordcount.part_one()}
    assert sum(counts.values()) <= wordcount.BUDGET, counts
