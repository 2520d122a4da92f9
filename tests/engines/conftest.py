"""The Spark engine's test files: every one starts its JVM with the quick settings below."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def quick_jvm():
    """Start the tests' Spark JVM with the quick compiler (C1) and one GC thread (read by Java, not influgraph).

    A test's Spark session lives for seconds of tiny jobs: the optimising JIT and parallel GC spend
    more CPU than they save on a 2-core machine (startup, a cold and a warm PageRank: 96 s -> 62 s wall).
    Only the JVM's speed changes; every result is the same.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        yield
