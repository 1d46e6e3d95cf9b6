"""The fenced code blocks of the repository's READMEs, named by a `<!-- e2e: NAME -->` line right above each.

Tests run the blocks as printed (only ports are substituted when the documented one is busy); test_readme.py checks
that every block has a name and that some test runs each name, so no documented command goes untested."""
import os
import re

from conftest import ROOT

DOCUMENTS = ("README.md", "clients/websocat/README.md", "clients/python/README.md")
FENCED = re.compile(r"(?:^<!-- e2e: ([\w-]+) -->\n)?^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(document):
    """(name or None, language, text) of every fenced block of `document` (a path relative to the repository)."""
    with open(os.path.join(ROOT, document)) as f:
        return [(m.group(1), m.group(2), m.group(3)) for m in FENCED.finditer(f.read())]


def block(document, name):
    for marker, _, text in blocks(document):
        if marker == name:
            return text
    raise AssertionError(f"{document} has no block marked e2e: {name}")
