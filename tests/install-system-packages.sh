#!/bin/sh
# Installs the Debian packages the test suite drives: Chromium for the browser tests (tests/exports/test_browser.py,
# test_report_screens.py), the Noto fonts so Persian, Arabic and Indonesian text renders in their screenshots,
# and a Java 17 runtime for the Spark engine's local-mode tests (tests/engines/test_spark_engine.py).
# Does nothing for what is already there. Needs root or sudo to install; without them the tests that
# need a missing package skip with a reason (under CI they fail instead).
set -e
missing=
[ -x /usr/bin/chromium ] || missing="$missing chromium"
dpkg -s fonts-noto-core >/dev/null 2>&1 || missing="$missing fonts-noto-core"
command -v java >/dev/null 2>&1 || missing="$missing openjdk-17-jre-headless"
if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install-system-packages: not root and no sudo; tests needing$missing will be skipped (apt-get install$missing to run them)" >&2
    [ -z "$CI" ] || exit 1
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ ! -x /usr/bin/chromium ] || /usr/bin/chromium --version
! command -v java >/dev/null 2>&1 || java -version 2>&1 | head -1
