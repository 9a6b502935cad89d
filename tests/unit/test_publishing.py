"""Publishing without a build: the workflows, the licences, the pins, citations, downloads.

The GitHub Actions workflows are linted by actionlint (the real linter, which
knows every action's inputs and GitHub's expression syntax) and checked for what
the README's "Publishing" section promises. The build stack is pinned at the
versions installed. Every citation has an entry in references.bib and every
entry is cited. The archives of tools.downloads are reproducible and complete.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

import blitz
from tools import downloads

WORKFLOWS = Path(".github") / "workflows"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert found, "actionlint is missing: make setup (requirements.txt pins it)"
    return found


def _workflow(repo_root: Path, name: str) -> dict:
    return yaml.safe_load((repo_root / WORKFLOWS / name).read_text(encoding="utf-8"))


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _config(repo_root: Path) -> dict:
    return yaml.safe_load((repo_root / "_config.yml").read_text(encoding="utf-8"))


# --- the workflows -------------------------------------------------------------------


def test_workflows_pass_actionlint(repo_root: Path) -> None:
    files = sorted((repo_root / WORKFLOWS).glob("*.yml"))
    assert {f.name for f in files} >= {"deploy.yml", "test.yml"}
    result = subprocess.run([_actionlint(), "-no-color", *map(str, files)], capture_output=True, text=True,
                            cwd=repo_root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The linter really looks: an unknown input and a bad expression are errors."""
    (tmp_path / WORKFLOWS).mkdir(parents=True)
    (tmp_path / WORKFLOWS / "bad.yml").write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v6\n        with:\n          no-such-input: 1\n"
        "      - run: echo ${{ github.no_such_context.x }\n")
    result = subprocess.run([_actionlint(), "-no-color", str(tmp_path / WORKFLOWS / "bad.yml")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode != 0
    assert "no-such-input" in result.stdout


def test_deploy_workflow_builds_and_publishes_on_push_to_main(repo_root: Path) -> None:
    workflow = _workflow(repo_root, "deploy.yml")
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["env"]["TORCH_INDEX"] == CPU_INDEX
    steps = _steps(workflow)
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    runs = " ".join(s.get("run", "") for s in steps)
    for action in ("actions/checkout", "actions/cache", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert action in uses, action
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@")
                 and s["with"]["path"] == "_build/.jupyter_cache")
    assert cache["with"]["restore-keys"] == "jupyter-cache-"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    # `make book` is the strict build; the order matters: site, then PDF and zip, then upload.
    assert runs.index("make book") < runs.index("make downloads")
    assert uses.index("actions/upload-pages-artifact") > uses.index("actions/cache")
    makefile = (repo_root / "Makefile").read_text()
    assert "$(BIN)/jb build . -W -n --keep-going" in makefile


def test_pull_requests_run_the_ci_entry_point(repo_root: Path) -> None:
    workflow = _workflow(repo_root, "test.yml")
    triggers = workflow[True] if True in workflow else workflow["on"]
    assert "pull_request" in triggers
    runs = [s.get("run", "") for s in _steps(workflow)]
    assert "bash .ci/run" in runs
    assert "make test" in (repo_root / ".ci" / "run").read_text()
    assert workflow["env"]["TORCH_INDEX"] == CPU_INDEX


def test_torch_index_installs_the_pinned_torch(repo_root: Path) -> None:
    """`make setup TORCH_INDEX=...` installs requirements.txt's torch pins from that index."""
    dry = subprocess.run(["make", "-n", "-B", "setup", f"TORCH_INDEX={CPU_INDEX}", "PYTHON=python3"],
                         capture_output=True, text=True, cwd=repo_root)
    assert dry.returncode == 0, dry.stderr
    line = next(l for l in dry.stdout.splitlines() if "--index-url" in l)
    assert CPU_INDEX in line and "'^(torch|torchvision)=='" in line
    plain = subprocess.run(["make", "-n", "-B", "setup", "PYTHON=python3"], capture_output=True, text=True,
                           cwd=repo_root)
    assert "--index-url" not in plain.stdout


def test_github_pages_settings(repo_root: Path) -> None:
    """.nojekyll (sphinx.ext.githubpages) and html_baseurl = the Pages address of `repository:`."""
    config = _config(repo_root)
    assert "sphinx.ext.githubpages" in config["sphinx"]["extra_extensions"]
    owner, name = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", config["repository"]["url"]).groups()
    assert config["html"]["baseurl"] == f"https://{owner}.github.io/{name}/"


def test_readme_says_how_to_publish(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Publishing", 1)[1].split("\n## ", 1)[0]
    for needle in ("GitHub Pages", "deploy.yml", "test.yml", "make pdf", "make release", "SHA256SUMS",
                   "official", "CIFAR-10", "TORCH_INDEX"):
        assert needle in section, needle


# --- licences --------------------------------------------------------------------------


def test_licence_files(repo_root: Path) -> None:
    code = (repo_root / "LICENSE").read_text(encoding="utf-8")
    text = (repo_root / "LICENSE-text").read_text(encoding="utf-8")
    assert code.startswith("MIT License") and "Permission is hereby granted" in code
    assert "Attribution-ShareAlike 4.0 International Public License" in text
    assert "Section 8 -- Interpretation." in text  # the whole legal code, not a summary
    for credit in ("blog.csdn.net/weixin_41070748", "60 Minute", "BSD"):
        assert credit in text, credit


def test_landing_page_names_the_licences_and_credits(repo_root: Path) -> None:
    intro = (repo_root / "book" / "intro.md").read_text(encoding="utf-8")
    repo = _config(repo_root)["repository"]
    for name in ("LICENSE", "LICENSE-text"):
        assert f"]({repo['url']}/blob/{repo['branch']}/{name})" in intro, name
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in intro
    assert "https://blog.csdn.net/weixin_41070748/article/details/89890330" in intro
    assert "BSD" in intro and "{cite:p}`chintala2017blitz`" in intro


# --- the build stack is pinned ---------------------------------------------------------

#: The packages whose markup or behaviour the site depends on: Sphinx and its extensions,
#: MyST, docutils and the bibliography's engine.
STACK = re.compile(r"^(sphinx.*|myst.*|docutils|pybtex.*|pydata-sphinx-theme|jupyter-book|jupyter-cache|"
                   r"markdown-it-py|mdit-py-plugins|pygments|accessible-pygments)$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(repo_root: Path) -> dict[str, str]:
    pins = {}
    for line in (repo_root / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"not pinned: {line}"
            pins[_norm(req.name)] = spec.version
    return pins


def _closure(root: str) -> set[str]:
    """``root`` and every distribution it requires, transitively (extras left out)."""
    seen, todo = set(), [root]
    while todo:
        name = _norm(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def test_every_pin_is_what_the_environment_has(repo_root: Path) -> None:
    wrong = {name: (pin, metadata.version(name)) for name, pin in _pins(repo_root).items()
             if metadata.version(name).split("+")[0] != pin}  # torch from the CPU index is 2.14.1+cpu
    assert not wrong, f"requirements.txt pin != installed: {wrong}"


def test_the_build_stack_is_pinned(repo_root: Path) -> None:
    stack = {name for name in _closure("jupyter-book") if STACK.match(name)}
    assert {"sphinx-design", "sphinx-togglebutton", "sphinx-copybutton", "sphinx-thebe", "sphinxcontrib-bibtex",
            "sphinx-jupyterbook-latex", "sphinx-external-toc", "docutils"} <= stack
    unpinned = stack - set(_pins(repo_root))
    assert not unpinned, f"pin these in requirements.txt: {sorted(unpinned)}"


# --- version -------------------------------------------------------------------------


def test_book_version_is_the_package_version(repo_root: Path) -> None:
    config = _config(repo_root)["sphinx"]["config"]
    assert config["release"] == blitz.__version__ == downloads.book_version(repo_root)
    assert config["release"].startswith(config["version"] + ".")


# --- citations -------------------------------------------------------------------------

CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
BIB_KEY = re.compile(r"^@\w+\{([^,\s]+),", re.M)
#: A citation typed by hand: "Goyal et al., 2017", "(Ioffe and Szegedy, 2015)", "Smith and Topin, 2017",
#: "*Proceedings of the IEEE* 86(11), 1998)", "*Tiny Images*, 2009", "(JMLR 2018)", "VLDB 2020".
YEAR = r"(?:19|20)\d\d\b"
HAND_TYPED = re.compile(rf"\b(?:et al\.|[A-Z][a-z]+ (?:and|&) [A-Z][a-z]+),? \(?{YEAR}|, {YEAR}\)"
                        rf"|\*[^*`]+\*,?\s+{YEAR}|\b[A-Z]{{3,}}(?: [A-Z][a-z]+)* {YEAR}")


def _prose_sources(repo_root: Path) -> list[Path]:
    return sorted([*(repo_root / "book").glob("*.md"), *(repo_root / "book" / "gpu").glob("*.md"),
                   *(repo_root / "book" / "errata").glob("*.md")])


def test_every_citation_has_an_entry_and_every_entry_is_cited(repo_root: Path) -> None:
    bib = set(BIB_KEY.findall((repo_root / "book" / "references.bib").read_text(encoding="utf-8")))
    cited = {key.strip() for path in _prose_sources(repo_root)
             for keys in CITE.findall(path.read_text(encoding="utf-8")) for key in keys.split(",")}
    assert cited, "no {cite} role in the chapters"
    assert cited - bib == set(), "cited but not in book/references.bib"
    assert bib - cited == set(), "in book/references.bib but never cited"


def test_no_citation_is_typed_by_hand(repo_root: Path) -> None:
    found = [f"{path.name}: {m.group(0)}" for path in _prose_sources(repo_root)
             for m in HAND_TYPED.finditer(path.read_text(encoding="utf-8"))]
    assert not found, "use {cite:p}`key` / {cite:t}`key`: " + "; ".join(found)
    for typed in ("the rule of Goyal et al., 2017, says", "(Ioffe and Szegedy, 2015)", "IEEE* 86(11), 1998).",
                  "*Learning Multiple Layers of Features from Tiny Images*,\n2009)", "(JMLR 2018)",
                  "(NIPS Autodiff Workshop 2017)", "Training*, VLDB 2020,"):
        assert HAND_TYPED.search(typed), typed


def test_references_page_is_an_appendix(repo_root: Path) -> None:
    toc = yaml.safe_load((repo_root / "_toc.yml").read_text(encoding="utf-8"))
    appendices = toc["parts"][-1]
    assert appendices["caption"] == "Appendices"
    assert {"file": "book/references"} in appendices["chapters"]
    assert "```{bibliography}" in (repo_root / "book" / "references.md").read_text(encoding="utf-8")
    assert _config(repo_root)["bibtex_bibfiles"] == ["book/references.bib"]


# --- downloads and releases -------------------------------------------------------------


def _fake_book(root: Path) -> Path:
    """A repository with notebooks, licences and _config.yml, as tools.downloads reads it."""
    src = Path(__file__).resolve().parents[2]
    (root / "notebooks").mkdir(parents=True)
    for name in ("a", "b"):
        (root / "notebooks" / f"{name}.ipynb").write_text(f'{{"cells": [], "name": "{name}"}}')
    for name in ("LICENSE", "LICENSE-text", "_config.yml"):
        shutil.copyfile(src / name, root / name)
    return root


def test_notebooks_zip_holds_every_notebook_readme_and_licences(tmp_path: Path) -> None:
    root = _fake_book(tmp_path / "repo")
    out = downloads.notebooks_zip(root, tmp_path / "nb.zip")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        readme = archive.read("learn-pytorch-in-one-hour-notebooks/README.txt").decode()
    assert sorted(names) == sorted(f"learn-pytorch-in-one-hour-notebooks/{n}" for n in
                                   ("README.txt", "LICENSE", "LICENSE-text", "a.ipynb", "b.ipynb"))
    assert downloads.book_version(root) in readme
    assert "cifar-10-python.tar.gz" in readme and "BLITZ_DATA" in readme


def test_archives_are_reproducible(tmp_path: Path) -> None:
    root = _fake_book(tmp_path / "repo")
    first = downloads.sha256(downloads.notebooks_zip(root, tmp_path / "1.zip"))
    (root / "notebooks" / "a.ipynb").touch()  # a new mtime must not change the bytes
    assert downloads.sha256(downloads.notebooks_zip(root, tmp_path / "2.zip")) == first
    html = tmp_path / "html"
    (html / "downloads").mkdir(parents=True)
    (html / "index.html").write_text("<html></html>")
    (html / "downloads" / "big.pdf").write_bytes(b"%PDF")
    one = downloads.sha256(downloads.html_archive(html, tmp_path / "1.tar.gz", "site"))
    assert downloads.sha256(downloads.html_archive(html, tmp_path / "2.tar.gz", "site")) == one
    with tarfile.open(tmp_path / "1.tar.gz") as tar:
        assert tar.getnames() == ["site/index.html"]  # the downloads are released on their own


def test_checksums_verify_with_sha256sum(tmp_path: Path) -> None:
    files = [tmp_path / "x.pdf", tmp_path / "y.zip"]
    for i, f in enumerate(files):
        f.write_bytes(bytes([i]) * 1000)
    sums = downloads.write_checksums(files, tmp_path / "SHA256SUMS")
    assert sums.read_text().splitlines()[0] == f"{hashlib.sha256(bytes([0]) * 1000).hexdigest()}  x.pdf"
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True).returncode == 0
    files[1].write_bytes(b"tampered")
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True).returncode != 0


def test_downloads_refuse_what_is_missing(tmp_path: Path) -> None:
    root = _fake_book(tmp_path / "repo")
    with pytest.raises(FileNotFoundError, match="make pdf"):
        downloads.site_downloads(root)
    with pytest.raises(FileNotFoundError, match="make book"):
        downloads.html_archive(tmp_path / "nothing", tmp_path / "x.tar.gz", "x")
    shutil.rmtree(root / "notebooks")
    (root / "notebooks").mkdir()
    with pytest.raises(FileNotFoundError, match="make notebooks"):
        downloads.notebooks_zip(root, tmp_path / "x.zip")
