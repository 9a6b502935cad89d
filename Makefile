# The two commands of the README:
#   make book   build the HTML site into _build/html (executes every chapter)
#   make test   run the test suite (builds the book first: the tests read it)
# GPU chapters (README, "GPU chapters"):
#   make gpu-outputs  on a CUDA machine: execute them and store book/<name>.ipynb
#   make gpu-pending  anywhere: pending notebooks for chapters not yet run; prose synced
#   make gpu-check    anywhere: each GPU chapter's state; fails if one is stale or out of sync
#   make notebooks    regenerate notebooks/*.ipynb (Colab/Binder) from the chapters and the build
#   make book-time    how long each executed page takes (AGAINST=<commit>: side by side with that commit)
#   make wordcount    Part I's reading time per chapter (words, code lines); fails above 60 minutes
#   make glossary-links  link each chapter's first use of a glossary term (read the diff)
#   make translations    update the Chinese edition's .po files after an English edit
#   make translations-check  fail on an untranslated, fuzzy or outdated string
# Publishing (README, "Publishing"):
#   make pdf          the whole book as a PDF (XeLaTeX): _build/latex/learn-pytorch-in-one-hour.pdf
#   make downloads    the PDF and a zip of the notebooks in _build/html/downloads/ (linked by the site)
#   make release      HTML archive, PDF and notebook zip of this version, with SHA256SUMS, in _build/release/
# Each sets itself up: a virtual environment in .venv and the data in $(DATA_DIR).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export BLITZ_DATA ?= $(CURDIR)/data
# The offline copy of CIFAR-10 that sits beside the repository on the project's
# machines; elsewhere torchvision downloads the official files.
SHARED_DATA ?= $(CURDIR)/../shared/data/cifar10-jpeg.tar.gz

.PHONY: system translations translations-check book test test-unit test-book test-site setup data clean notebooks gpu-outputs gpu-pending gpu-check bench book-time wordcount glossary-links pdf downloads release

# TORCH_INDEX=https://download.pytorch.org/whl/cpu installs torch and torchvision (the
# versions pinned in requirements.txt) from PyTorch's CPU index: about 200 MB instead
# of PyPI's CUDA build (about 5 GB). The workflows in .github/workflows set it.
TORCH_INDEX ?=

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "error: the book needs Python >= 3.11 (the pins in requirements.txt have no older builds); set PYTHON=python3.11 or newer" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(if $(TORCH_INDEX),grep -E '^(torch|torchvision)==' requirements.txt | xargs $(BIN)/python -m pip install -q --index-url $(TORCH_INDEX))
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

# CIFAR-10 (README, "Data"): nothing to do when torchvision's official files are
# in $(BLITZ_DATA). Otherwise copy the offline JPEG copy from beside the
# repository (if there is one) and convert it once into $(BLITZ_DATA)/cifar10-jpeg.npz,
# the array file blitz.data reads; tools.cifar_jpeg skips that when it is up to date.
JPEG_COPY := $(BLITZ_DATA)/cifar10-jpeg.tar.gz

data: setup
	@mkdir -p "$(BLITZ_DATA)"
	@if [ -d "$(BLITZ_DATA)/cifar-10-batches-py" ]; then \
	  echo "data: official CIFAR-10 files in $(BLITZ_DATA)"; exit 0; fi; \
	if [ -f "$(SHARED_DATA)" ] && [ ! -e "$(JPEG_COPY)" ]; then \
	  rm -f "$(JPEG_COPY).part"; cp -p "$(SHARED_DATA)" "$(JPEG_COPY).part" \
	    && mv "$(JPEG_COPY).part" "$(JPEG_COPY)" && echo "data: copied $(SHARED_DATA)" || exit 1; fi; \
	if [ -f "$(JPEG_COPY)" ]; then $(BIN)/python -m tools.cifar_jpeg "$(JPEG_COPY)" "$(BLITZ_DATA)"; \
	else echo "data: no offline copy; torchvision will download CIFAR-10 when a chapter first loads it"; fi

# The English site, then the Chinese one from the same execution (tools/i18n.py):
# _build/html/ and _build/html/zh_CN/.
book: setup data
	$(BIN)/jb build . -W -n --keep-going
	$(BIN)/python -m tools.i18n build

# The Chinese edition (README, "The Chinese edition"): after an English edit, bring
# locales/zh_CN/LC_MESSAGES/*.po up to date (new strings empty, changed ones fuzzy),
# translate them, then `make translations-check` (the test suite runs it too).
translations: setup data
	$(BIN)/python -m tools.i18n update
	$(BIN)/python -m sphinx_intl stat -d locales -l zh_CN

translations-check: setup data
	$(BIN)/python -m tools.i18n check

# axe-core for the browser tests (tests/test_site.py), pinned by tests/package-lock.json.
# Chromium itself comes from the system: apt-get install chromium (see README).
tests/node_modules/.installed: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund
	touch $@

# The PDF: jb's LaTeX builder (XeLaTeX with xeCJK and the Noto CJK fonts, _config.yml
# `latex:`), from the same execution cache as the site, so no chapter runs again.
# System packages: .ci/install pdf (texlive-xetex, texlive-lang-chinese, latexmk, fonts).
PDF := _build/latex/learn-pytorch-in-one-hour.pdf
# The Chinese edition's (tools/i18n.py pdf).
PDF_ZH := _build/zh_CN/latex/learn-pytorch-in-one-hour.pdf

pdf: system setup data
	$(BIN)/jb build . --builder pdflatex -W -n --keep-going
	@test -f $(PDF) && echo "pdf: $(PDF)"
	$(BIN)/python -m tools.i18n pdf
	@test -f $(PDF_ZH) && echo "pdf: $(PDF_ZH)"

# What the site links for offline readers: the PDF and a zip of every notebook.
downloads: pdf
	$(BIN)/python -m tools.downloads site

# A release (README, "Publishing"): the site as an archive, the PDF and the notebook zip,
# named with the version (_config.yml, sphinx.config.release), and SHA256SUMS.
release: book downloads
	$(BIN)/python -m tools.downloads release

# The system packages the tests need (Chromium and npm for the site tier, XeLaTeX and
# fonts for the PDF): .ci/install adds what is missing when this user may install
# (root, or sudo without a password); otherwise make stops here, before any other
# work, with one line naming the command to run.
system:
	@bash .ci/install --check site pdf >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then bash .ci/install site pdf; \
	  else echo "error: $$(bash .ci/install --check site pdf); run: sudo bash .ci/install site pdf" >&2; exit 1; fi; }

# Three tiers (tests/unit, tests/book, tests/site); `make test` runs them all. The book
# tier reads the PDF and the site's downloads, the site tier follows their links.
test: system book downloads tests/node_modules/.installed
	$(BIN)/python -m pytest tests/unit tests/book tests/site

# The package and the tools alone: no book build, no browser (about a minute; `data` for the
# tests that read the real CIFAR-10 copy).
test-unit: setup data
	$(BIN)/python -m pytest tests/unit

test-book: system book downloads
	$(BIN)/python -m pytest tests/book

test-site: system book downloads tests/node_modules/.installed
	$(BIN)/python -m pytest tests/site

# The notebooks read the build (glued values, figures, cross-references): build first.
notebooks: book
	$(BIN)/python -m tools.notebooks

# Part I must read in about an hour: tools/wordcount.py (README, "Reading time").
wordcount: setup
	$(BIN)/python -m tools.wordcount

# Appendix B's promise: each chapter links its first use of a term (README, "Glossary links").
glossary-links: setup
	$(BIN)/python -m tools.glossary

# GPU chapters (tools/gpu.py): every book/gpu/<name>.md; its notebook is book/<name>.ipynb.
gpu-outputs: setup data
	$(BIN)/python -m tools.gpu

gpu-pending: setup
	$(BIN)/python -m tools.gpu --pending

gpu-check: setup
	$(BIN)/python -m tools.gpu --check

# Train every CIFAR-10 recipe of chapters 4 and 6 on the CPU: time, images/s, accuracy, peak memory.
bench: setup data
	$(BIN)/python -m tools.bench cpu

# How long the build's execution takes, page by page (README, "Benchmarks");
# AGAINST=<commit> runs that commit's pages in turns with these, REPEATS rounds.
book-time: setup data
	$(BIN)/python -m tools.book_time $(PAGES) $(if $(AGAINST),--against $(AGAINST)) --repeats $(or $(REPEATS),1)

clean:
	rm -rf _build
