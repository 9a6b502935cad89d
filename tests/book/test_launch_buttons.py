"""Launch buttons open notebooks/<name>.ipynb, for MyST and stored .ipynb chapters alike.

Builds a throwaway two-chapter book with the project's _config.yml and its
site extension (book/_ext/book_site.py): a MyST chapter ``book/md_one.md`` and
a stored, executed notebook ``book/ipynb_one.ipynb`` (how GPU chapters are
kept). sphinx-book-theme would point Colab and Binder at those sources; the
extension must point both at ``notebooks/<name>.ipynb`` on the configured
repository and branch.
"""
from __future__ import annotations

import html
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

JB = [str(Path(sys.executable).with_name("jb")), "build"]


def test_launch_links_point_at_generated_notebooks(tmp_path: Path, repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "_config.yml").read_text())
    config["exclude_patterns"] = ["_build"]
    config["execute"]["exclude_patterns"] = ["book/ipynb_one.ipynb"]  # stored, like GPU chapters
    config["repository"] = {"url": "https://github.com/someone/somebook", "branch": "dev"}
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/md_one\n  - file: book/ipynb_one\n"
    )
    book = tmp_path / "book"
    for folder in ("_ext", "_static"):
        shutil.copytree(repo_root / "book" / folder, book / folder)
    shutil.copytree(repo_root / "tools", tmp_path / "tools")  # the extensions import tools.gpu, tools.deps
    (book / "intro.md").write_text("# Intro\n\nA throwaway book.\n")
    header = (repo_root / "book" / "tensors.md").read_text().split("\n---\n", 1)[0] + "\n---\n"
    (book / "md_one.md").write_text(header + "# MyST chapter\n\n```{code-cell} ipython3\nprint(1)\n```\n")
    stored = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Stored chapter"),
                                             nbformat.v4.new_code_cell("print(2)")])
    stored.cells[1].outputs = [nbformat.v4.new_output("stream", text="2\n")]
    stored.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(stored, book / "ipynb_one.ipynb")

    result = subprocess.run(JB + [str(tmp_path), "-W", "-n", "--keep-going"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name in ("md_one", "ipynb_one"):
        page = html.unescape((tmp_path / "_build" / "html" / "book" / f"{name}.html").read_text())
        assert ("https://colab.research.google.com/github/someone/somebook/blob/dev/"
                f"notebooks/{name}.ipynb") in page
        assert ("https://mybinder.org/v2/gh/someone/somebook/dev?urlpath=lab/tree/"
                f"notebooks/{name}.ipynb") in page
        assert f"book/{name}.md\"" not in page.split("launch-buttons", 1)[-1].split("</ul>", 1)[0]
