#!/bin/sh
# Installs Debian's Chromium for the browser tests (tests/test_browser.py), if it is not there yet.
# Needs root or sudo. Without them the browser tests skip with a reason (under CI they fail instead).
set -e
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install-chromium: not root and no sudo; browser tests will be skipped (apt-get install chromium to run them)" >&2
    [ -z "$CI" ] || exit 1
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
