#!/usr/bin/env bash
# Make sure the TeX toolchain the paper needs is installed (Debian/Ubuntu packages).
# Installs when missing and allowed (root, or sudo without a password); otherwise
# stops and prints the exact command to run. Idempotent and fast when present.
set -euo pipefail
PACKAGES="texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended lmodern latexmk poppler-utils"

have_all() {
  command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 \
    && command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
    && [ "$(kpsewhich booktabs.sty threeparttable.sty makecell.sty tabularx.sty lmodern.sty 2>/dev/null | wc -l)" -eq 5 ]
}

if have_all; then exit 0; fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "TeX is missing and this user cannot install packages. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y $PACKAGES" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "TeX is missing and apt-get is not available. Install the equivalent of: $PACKAGES" >&2
  exit 1
fi
echo "Installing TeX from Debian's packages: $PACKAGES"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
have_all || { echo "TeX install finished but a required file is still missing" >&2; exit 1; }
