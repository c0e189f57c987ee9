"""Sphinx configuration of neurodyn's documentation site.

Build locally (from the repository root):  pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html
The tutorials are the scripts in examples/, run by sphinx-gallery with their figures.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import neurodyn  # noqa: E402

project = "neurodyn"
author = "the neurodyn developers"
copyright = "2026, the neurodyn developers"
version = release = neurodyn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
templates_path = []
html_theme = "furo"
html_title = f"neurodyn {release}"
html_static_path = []

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_typehints = "none"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# "Attributes" sections as fields of their class: as separate entries they would describe again
# the properties autodoc already documents (duplicate object descriptions).
napoleon_use_ivar = True
# A section some class docstrings carry (ESN), read as a Notes section.
napoleon_custom_sections = [("State and training", "Notes")]
# Types in docstrings ("array_like, shape (n,)") are prose for the reader, not cross-references
# (Sphinx would try to resolve "n" and find Hopfield.n and LSM.n).
suppress_warnings = ["ref.python"]
myst_heading_anchors = 3
# No intersphinx: the build must not depend on the network (CI machines may not reach it).

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # every example is a tutorial: run them all (not only plot_*.py)
    "filename_pattern": r".*\.py$",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "run_stale_examples": False,
    "write_computation_times": False,
}
