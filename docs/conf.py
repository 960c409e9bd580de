"""Sphinx configuration of the skrnn documentation site.

Sphinx with numpydoc and sphinx-gallery, as scikit-learn and sktime build
theirs: the docstrings are numpydoc already, autosummary turns them into the
API reference, sphinx-gallery executes the example scripts and shows their
plots, and MyST reads the Markdown pages unchanged (they are also executed by
``tests/test_docs.py``). Build: ``python -m sphinx -W -b html docs docs/_build/html``.
"""

import os
import sys
from importlib.metadata import version as _version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# the gallery runs every example at its quick size (seconds, not minutes)
os.environ.setdefault("SKRNN_EXAMPLE_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

project = "skrnn"
author = "the skrnn developers"
copyright = "2026, the skrnn developers"
release = _version("skrnn")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "examples/README.rst", "generated/*.md", "examples/*.md", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.md5",
                    "auto_examples/*.json"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/.*\.py$",
    "ignore_pattern": r"/_[^/]*\.py$",
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "pydata_sphinx_theme"
html_title = f"skrnn {release}"
html_static_path = []
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
suppress_warnings = ["myst.header"]
