#!/usr/bin/env bash
# Re-creates docs/assets/vendor/ from the npm registry (the site loads nothing
# from other hosts). Only the files the site uses are kept, each package's
# licence beside them. Versions are pinned here and listed in the README there.
#   bash scripts/vendor-assets.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MERMAID=11.17.2          # Material 9.x expects Mermaid major 11
KATEX=0.19.1
FONTSOURCE=5.3.0         # @fontsource/roboto and @fontsource/roboto-mono

DEST=docs/assets/vendor
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

unpack() {  # unpack NAME@VERSION DIR
    (cd "$TMP" && npm pack --silent "$1" >/dev/null)
    mkdir -p "$TMP/$2"
    tar xzf "$TMP"/*.tgz -C "$TMP/$2" --strip-components=1
    rm "$TMP"/*.tgz
}

rm -rf "$DEST/mermaid" "$DEST/katex" "$DEST/fonts"
mkdir -p "$DEST/mermaid" "$DEST/katex/fonts" \
         "$DEST/fonts/roboto" "$DEST/fonts/roboto-mono"

unpack "mermaid@$MERMAID" mermaid
cp "$TMP/mermaid/dist/mermaid.min.js" "$TMP/mermaid/LICENSE" "$DEST/mermaid/"

unpack "katex@$KATEX" katex
# katex.min.js runs at build time (overrides/hooks/katex_prerender.py), not in pages.
cp "$TMP/katex/dist/katex.min.js" "$TMP/katex/LICENSE" "$DEST/katex/"
cp "$TMP/katex/dist/fonts/"*.woff2 "$DEST/katex/fonts/"
# Only the woff2 fonts are shipped: drop the woff/ttf fallbacks from the CSS so
# that it references no missing file (every browser that runs KaTeX reads woff2).
sed -E 's/,url\(fonts\/[A-Za-z0-9_-]+\.(woff|ttf)\) format\("(woff|truetype)"\)//g' \
    "$TMP/katex/dist/katex.min.css" > "$DEST/katex/katex.min.css"

unpack "@fontsource/roboto@$FONTSOURCE" roboto
unpack "@fontsource/roboto-mono@$FONTSOURCE" roboto-mono
cp "$TMP/roboto/LICENSE" "$DEST/fonts/roboto/"
cp "$TMP/roboto-mono/LICENSE" "$DEST/fonts/roboto-mono/"
for subset in latin latin-ext; do
    for weight in 300 400 700; do
        cp "$TMP/roboto/files/roboto-$subset-$weight-normal.woff2" "$DEST/fonts/roboto/"
    done
    for weight in 400 700; do
        cp "$TMP/roboto-mono/files/roboto-mono-$subset-$weight-normal.woff2" "$DEST/fonts/roboto-mono/"
    done
done

# Fail loudly if a package changed its layout or the CSS still points elsewhere.
if grep -qE 'url\(fonts/[^)]*\.(woff|ttf)\)' "$DEST/katex/katex.min.css"; then
    echo "Erreur : katex.min.css référence encore des polices woff/ttf." >&2
    exit 1
fi
echo "Fichiers tiers copiés dans $DEST (mermaid $MERMAID, katex $KATEX, fontsource $FONTSOURCE)."
