"""Imported by the Spark engine's test files: pyspark and Java are required on CI; elsewhere the importing file is skipped with the fix."""
from __future__ import annotations

import os
import shutil

import pytest

if os.environ.get("CI"):  # CI installs the test extra (pyspark) and Java: a missing piece is a failure there
    import pyspark  # noqa: F401
    assert shutil.which("java"), "no Java runtime: run sh tests/install-system-packages.sh"
else:
    pytest.importorskip("pyspark", reason="the Spark engine's tests need pyspark: pip install -e '.[test]'")
    if not shutil.which("java"):
        pytest.skip("the Spark engine needs a Java 17 runtime: sh tests/install-system-packages.sh", allow_module_level=True)

