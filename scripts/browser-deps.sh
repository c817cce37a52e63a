#!/bin/sh
# What the browser tests need from the system: Debian's Chromium (Playwright drives
# /usr/bin/chromium; it never downloads a browser) and CJK fonts (screenshots and the printed
# report must show Chinese, not boxes). Installed when missing and we are root; otherwise one
# line says what to run, and `make test` stops before the run instead of failing halfway.
set -eu

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
have_chromium() { [ -x "$CHROMIUM" ]; }
have_cjk_fonts() { fc-list 2>/dev/null | grep -qi 'noto.*cjk'; }

if have_chromium && have_cjk_fonts; then
    exit 0
fi
# BROWSER_DEPS_NO_INSTALL=1 never installs (what a non-root user gets; used by the tests)
if [ "$(id -u)" = 0 ] && [ -z "${BROWSER_DEPS_NO_INSTALL:-}" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and fonts-noto-cjk for the browser tests (apt-get) ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium fonts-noto-cjk fontconfig >/dev/null
    have_chromium && have_cjk_fonts && exit 0
    echo "apt-get ran but chromium or the CJK fonts are still missing" >&2
    exit 1
fi
echo "the browser tests need Chromium and CJK fonts: sudo apt-get install chromium fonts-noto-cjk" >&2
exit 1
