"""How long the book takes to execute, chapter by chapter, optionally side by side with an earlier commit.

``make book`` executes every chapter the build runs (every notebook page but the
GPU chapters, which run on a CUDA machine). This benchmark executes the same
pages the same way (a fresh kernel each, run top to bottom) and reports the
wall time of each, kernel start included.

With ``--against REV`` it also executes the pages as they were at commit
``REV`` (their Markdown and the ``blitz`` package of that commit, unpacked into
a temporary folder and put first on the kernel's ``PYTHONPATH``), in turns
(page A now then old, page B old then now, ...; the next round the other way
round), ``--repeats`` rounds, and reports the median of each. Machines differ and a shared one drifts
from minute to minute, so a speed-up is only claimed from such a side-by-side
run, never against a number from another day (README, "Benchmarks").

    python -m tools.book_time                        # every page, this tree
    python -m tools.book_time cpu_time --against 7bb635e --repeats 2
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def executed_pages(root: Path) -> list[str]:
    """The pages ``jb build`` executes, in reading order: notebook pages, not GPU chapters."""
    from tools.gpu import chapters as gpu_chapters
    from tools.notebooks import chapters

    gpu = set(gpu_chapters(root))
    return [name for name, source in chapters(root).items() if source.suffix == ".md" and name not in gpu]


def unpack(rev: str, folder: Path) -> Path:
    """The ``book/`` and ``code/`` folders of commit ``rev``, unpacked into ``folder``."""
    done = subprocess.run(["git", "archive", rev, "book", "code"], cwd=ROOT, capture_output=True)
    if done.returncode:
        raise SystemExit(f"git archive {rev}: {done.stderr.decode(errors='replace').strip()}")
    archive = done.stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def execute(root: Path, name: str, timeout: int = 1800) -> float:
    """Seconds to execute page ``book/<name>.md`` of ``root`` in a fresh kernel, with ``root/code`` first on its path."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(root / "book" / f"{name}.md", fmt="md:myst")
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(root / "code")  # the kernel inherits it: this version's blitz
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(root / "book")}}).execute()
        return time.perf_counter() - start
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def compare(pages: list[str], versions: dict[str, Path], repeats: int) -> dict[str, dict[str, float]]:
    """{page: {version: median seconds}}, every page of every version executed in turns, ``repeats`` rounds."""
    runs: dict[str, dict[str, list[float]]] = {p: {v: [] for v in versions} for p in pages}
    order = list(versions.items())
    for round_ in range(repeats):
        for n, page in enumerate(pages):
            # A, B for one page, B, A for the next, and the other way round in the next round:
            # whatever comes first (a cold cache, a drifting machine) falls on both alike.
            for version, root in order if (round_ + n) % 2 == 0 else order[::-1]:
                seconds = execute(root, page)
                runs[page][version].append(seconds)
                print(f"round {round_ + 1}: {page:16s} {version:>12s} {seconds:7.1f} s", flush=True)
    return {p: {v: statistics.median(s) for v, s in by_version.items()} for p, by_version in runs.items()}


def table(medians: dict[str, dict[str, float]], versions: list[str]) -> list[str]:
    """The report: one row per page, then the total; with two versions, their ratio."""
    head = f"{'page':16s}" + "".join(f" {v:>12s}" for v in versions)
    head += "   ratio" if len(versions) == 2 else ""
    rows = [head]
    totals = {v: sum(m[v] for m in medians.values()) for v in versions}
    for page, m in [*medians.items(), ("total", totals)]:
        row = f"{page:16s}" + "".join(f" {m[v]:10.1f} s" for v in versions)
        if len(versions) == 2:
            row += f"   {m[versions[0]] / m[versions[1]]:5.2f}"
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.book_time", description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", help="pages to execute (default: every page the build executes)")
    parser.add_argument("--against", metavar="REV", help="also execute the pages as they were at commit REV")
    parser.add_argument("--repeats", type=int, default=1, help="rounds of turns; medians are reported")
    args = parser.parse_args(argv)
    known = executed_pages(ROOT)
    pages = args.pages or known
    unknown = sorted(set(pages) - set(known))
    if unknown or args.repeats < 1:
        parser.error(f"unknown pages {unknown}; choose from {known}" if unknown else "--repeats must be >= 1")
    os.environ.setdefault("BLITZ_DATA", str(ROOT / "data"))
    with tempfile.TemporaryDirectory() as folder:
        versions = {"this tree": ROOT}
        if args.against:
            versions[args.against] = unpack(args.against, Path(folder))
            missing = [p for p in pages if not (versions[args.against] / "book" / f"{p}.md").is_file()]
            if missing:
                parser.error(f"{args.against} has no page {', '.join(missing)}")
        medians = compare(pages, versions, args.repeats)
    print("\n".join(table(medians, list(versions))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
