"""Sphinx configuration of the sklearn-simple documentation.

Build (offline, warnings are errors)::

    sphinx-build -W -b html docs docs/_build/html
"""

import os

import sklearn_simple

# The gallery runs its examples at build time: never open a window.
os.environ.setdefault("MPLBACKEND", "Agg")

project = "sklearn-simple"
author = "sklearn-simple developers"
copyright = "sklearn-simple developers"
release = sklearn_simple.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# bad_input_table.rst is generated and included by reliability.rst, not a page.
exclude_patterns = ["_build", "bad_input_table.rst"]
root_doc = "index"
# Formulas and shell lines are plain text; Python examples say "pycon".
highlight_language = "none"

# API reference: one page per public name, generated from the docstrings.
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections say it already
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# No intersphinx: the build must not reach the network. References to
# scikit-learn and matplotlib names render as code, without a link.

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    # The timing pages load scripts from CDNs when viewed; the site must
    # work offline.
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-simple {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "navbar_align": "left",
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": []}
html_show_sourcelink = False
html_copy_source = False
