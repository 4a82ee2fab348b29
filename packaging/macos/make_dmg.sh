#!/usr/bin/env bash
# Wrap LimeLight.app in a compressed disk image with the usual drag-to-Applications layout:
#   bash packaging/macos/make_dmg.sh dist/LimeLight.app dist/LimeLight-X.Y.Z.dmg
# Only hdiutil, which every macOS has. The app is ad-hoc signed by PyInstaller; to ship outside a test group,
# sign it with a Developer ID and notarise the .dmg first (packaging/README.md).
set -euo pipefail
app=$1
image=$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

ditto "$app" "$stage/LimeLight.app"
ln -s /Applications "$stage/Applications"
rm -f "$image"
# ULFO (lzfse) packs smaller and mounts faster than zlib's UDZO; it needs macOS 10.11, the app needs 14.
hdiutil create -volname "LimeLight" -srcfolder "$stage" -fs HFS+ -format ULFO -ov "$image"
echo "wrote $image"
