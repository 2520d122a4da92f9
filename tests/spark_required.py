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


@pytest.fixture(scope="module", autouse=True)
def quick_jvm():
    """Start the tests' Spark JVM with the quick compiler (C1) and one GC thread (read by Java, not influgraph).

    A test's Spark session lives for seconds of tiny jobs: the optimising JIT and parallel GC spend
    more CPU than they save on a 2-core machine (startup, a cold and a warm PageRank: 96 s -> 62 s wall).
    Only the JVM's speed changes; every result is the same. Import it into the test file to use it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        yield
