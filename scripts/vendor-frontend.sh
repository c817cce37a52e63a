#!/usr/bin/env bash
# Vendor the front-end libraries the offline app uses from the npm registry into static/vendor/.
#
#   scripts/vendor-frontend.sh        # needs npm (only here, never at run time)
#
# Exact versions are pinned below; `npm pack` fetches each tarball (checked against the registry's
# integrity hash by npm), and only the built files the browser loads are copied, with each
# package's LICENSE beside them. Re-run after changing a version and commit static/vendor/.
set -euo pipefail

WORKBOX=7.4.1
IDB=8.0.4
EXIFR=7.1.3

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/happy_rivers/static/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

unpack() {  # unpack NAME VERSION → $tmp/NAME/package
  (cd "$tmp" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$tmp/$1"
  tar xzf "$tmp/$1-$2.tgz" -C "$tmp/$1"
}

rm -rf "$vendor/workbox" "$vendor/idb" "$vendor/exifr"
mkdir -p "$vendor/workbox" "$vendor/idb" "$vendor/exifr"

# workbox-sw loads each module as workbox-<name>.prod.js from modulePathPrefix (set in the
# service worker to /static/vendor/workbox/), so these sit side by side in one folder.
for module in sw core precaching routing strategies cacheable-response; do
  unpack "workbox-$module" "$WORKBOX"
  if [ "$module" = sw ]; then
    cp "$tmp/workbox-sw/package/build/workbox-sw.js" "$vendor/workbox/"
  else
    cp "$tmp/workbox-$module/package/build/workbox-$module.prod.js" "$vendor/workbox/"
  fi
  cp "$tmp/workbox-$module/package/LICENSE" "$vendor/workbox/LICENSE-workbox-$module"
done
echo "$WORKBOX" > "$vendor/workbox/VERSION"

# idb: the UMD build defines the global `idb`, usable from a page and from importScripts().
unpack idb "$IDB"
cp "$tmp/idb/package/build/umd.js" "$vendor/idb/idb.umd.js"
cp "$tmp/idb/package/LICENSE" "$vendor/idb/LICENSE"
echo "$IDB" > "$vendor/idb/VERSION"

# exifr "mini": JPEG EXIF time and GPS position, the two things read from field photos.
unpack exifr "$EXIFR"
cp "$tmp/exifr/package/dist/mini.umd.js" "$vendor/exifr/exifr.mini.umd.js"
cp "$tmp/exifr/package/LICENSE" "$vendor/exifr/LICENSE"
echo "$EXIFR" > "$vendor/exifr/VERSION"

# the build files end with a sourceMappingURL whose .map is not vendored: drop the comment so
# browsers do not ask for a file that is not there
find "$vendor" -name '*.js' -exec sed -i '/^\/\/# sourceMappingURL=/d' {} +
echo "vendored into $vendor:"
find "$vendor" -type f | sort | sed "s|$root/||"
