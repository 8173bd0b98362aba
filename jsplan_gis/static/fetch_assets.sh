#!/usr/bin/env bash
# Re-fetch the vendored web-map assets from the npm registry (maintainers only; needs npm).
#
# The versions are exactly the ones folium 0.20 / branca 0.8 link from CDNs (folium/folium.py,
# folium/plugins/groupedlayercontrol.py, branca/colormap.py). Only the files the maps need are
# kept; see ASSETS.md. Run from anywhere:  bash jsplan_gis/static/fetch_assets.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

fetch() {  # fetch NPM_SPEC DIR : npm pack + unpack into $work/DIR/package
  local spec="$1" dir="$2" tgz
  tgz="$(npm pack --silent "$spec" | tail -n 1)"
  mkdir -p "$dir" && tar xzf "$tgz" -C "$dir"
}

fetch leaflet@1.9.3 leaflet
fetch d3@3.5.5 d3
fetch leaflet-groupedlayercontrol@0.6.1 glc
fetch drmonty-leaflet-awesome-markers@2.0.2 awesome
fetch @fortawesome/fontawesome-free@6.2.0 fa

rm -rf "$here/leaflet" "$here/d3" "$here/groupedlayercontrol" "$here/awesome-markers" "$here/fontawesome" "$here/folium"
mkdir -p "$here/leaflet/images" "$here/d3" "$here/groupedlayercontrol" "$here/awesome-markers/images" \
         "$here/fontawesome/css" "$here/fontawesome/webfonts" "$here/folium"

cp leaflet/package/dist/leaflet.js leaflet/package/dist/leaflet.css leaflet/package/LICENSE "$here/leaflet/"
cp leaflet/package/dist/images/{layers.png,layers-2x.png,marker-icon.png,marker-icon-2x.png,marker-shadow.png} "$here/leaflet/images/"
cp d3/package/d3.min.js d3/package/LICENSE "$here/d3/"
cp glc/package/dist/leaflet.groupedlayercontrol.min.js glc/package/dist/leaflet.groupedlayercontrol.min.css "$here/groupedlayercontrol/"
# the package has no LICENSE file; its package.json says MIT
cp glc/package/package.json "$here/groupedlayercontrol/package.json"
cp awesome/package/js/leaflet.awesome-markers.js awesome/package/css/leaflet.awesome-markers.css "$here/awesome-markers/"
cp awesome/package/css/images/{markers-soft.png,markers-soft@2x.png,markers-shadow.png,markers-shadow@2x.png} "$here/awesome-markers/images/"
cp awesome/package/package.json "$here/awesome-markers/package.json"
# Font Awesome: keep the woff2 fonts only (every browser that runs Leaflet 1.9 reads woff2) and
# drop the .ttf fallbacks from the stylesheet so no reference points at a file we do not ship.
sed -E 's/,url\([^)]*\.ttf\) format\("truetype"\)//g' fa/package/css/all.min.css > "$here/fontawesome/css/all.min.css"
cp fa/package/webfonts/*.woff2 "$here/fontawesome/webfonts/"
cp fa/package/LICENSE.txt "$here/fontawesome/LICENSE.txt"
# folium's own rotation classes (folium/templates/leaflet.awesome.rotate.css, MIT), regenerated
for d in $(seq 0 359); do
  printf '.fa-rotate-%d{-ms-transform:rotate(%ddeg);-webkit-transform:rotate(%ddeg);transform:rotate(%ddeg);}\n' "$d" "$d" "$d" "$d"
done > "$here/folium/leaflet.awesome.rotate.min.css"
if grep -q 'ttf' "$here/fontawesome/css/all.min.css"; then echo "ttf reference left in all.min.css" >&2; exit 1; fi
echo "assets written to $here"
