#!/usr/bin/env bash
# Installs every Debian package iolab needs. Idempotent: packages already
# present are skipped, so a second run does no network work at all.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  catch2 librange-v3-dev libboost-graph-dev libboost-iostreams-dev
  libboost-filesystem-dev libboost-system-dev libbenchmark-dev
  libgnuplot-iostream-dev gnuplot-nox libcli11-dev nlohmann-json3-dev
  pybind11-dev python3-dev python3-numpy python3-pytest python3-nbclient
  python3-ipykernel python3-nbformat python3-matplotlib python3-pil
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present" >&2
fi
