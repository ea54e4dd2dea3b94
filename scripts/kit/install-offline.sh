#!/usr/bin/env bash
# Installe le cours Fidle sur une machine sans réseau, depuis ce kit (make kit).
#
#   bash install-offline.sh [DOSSIER]      (défaut : ~/fidle)
#
# Variables : PYTHON (l'interpréteur, défaut python3 ; 3.11.5 ou plus récent, l'une
# des versions du fichier PYTHONS), KERAS_HOME (le cache Keras, défaut ~/.keras).
# Étapes : environnement virtuel DOSSIER/.venv, paquets installés depuis wheels/
# (pip --no-index : rien n'est téléchargé), empreintes des données vérifiées puis
# données copiées dans le cache Keras, site et carnets copiés dans DOSSIER, puis
# diagnostic (fidle-examples doctor) et un exemple rapide pour finir.
set -euo pipefail

KIT=$(cd "$(dirname "$0")" && pwd)
TARGET=${1:-$HOME/fidle}
PYTHON=${PYTHON:-python3}
KERAS_HOME=${KERAS_HOME:-$HOME/.keras}
export KERAS_HOME
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'Erreur : %s\n' "$*" >&2; exit 1; }

start=$(date +%s)
step "Python"
command -v "$PYTHON" >/dev/null || fail "« $PYTHON » est introuvable. Installez Python 3.11.5 ou plus récent, ou indiquez-le : PYTHON=/chemin/vers/python3 bash $0"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11, 5))' \
    || fail "Python 3.11.5 ou plus récent est nécessaire ($PYTHON est $("$PYTHON" --version 2>&1))."
version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
machine=$("$PYTHON" -c 'import platform; print(platform.system(), platform.machine())')
[ "$machine" = "Linux x86_64" ] || fail "ce kit est fait pour Linux x86-64, pas pour $machine."
grep -qw "$version" "$KIT/PYTHONS" \
    || fail "ce kit a été préparé pour Python $(cat "$KIT/PYTHONS"), pas pour $version. Choisissez un autre interpréteur (PYTHON=python3.12 bash $0) ou refaites le kit : make kit KIT_PYTHONS=$version"
echo "$("$PYTHON" --version) ($(command -v "$PYTHON"))"

step "Empreintes SHA-256 des données du kit"
(cd "$KIT/datasets" && sha256sum --check --strict SHA256SUMS) \
    || fail "des fichiers de données du kit sont corrompus : recopiez le kit."

step "Paquets (depuis $KIT/wheels, sans réseau)"
mkdir -p "$TARGET"
TARGET=$(cd "$TARGET" && pwd)
[ -x "$TARGET/.venv/bin/python" ] || "$PYTHON" -m venv "$TARGET/.venv"
pip_install() {
    "$TARGET/.venv/bin/python" -m pip install --isolated --quiet --no-index --find-links "$KIT/wheels" \
        --disable-pip-version-check "$@"
}
# Every wheel checked against the kit's lock (a damaged USB stick stops here), then the
# project itself, which brings nothing unchecked (--no-deps).
pip_install --require-hashes --requirement "$KIT/requirements.lock" \
    || fail "des paquets du kit ne correspondent pas à leurs empreintes : recopiez le kit."
pip_install --no-deps fidle-examples
echo "Installés dans $TARGET/.venv"

step "Données (cache Keras $KERAS_HOME/datasets)"
mkdir -p "$KERAS_HOME/datasets"
while read -r sum name; do
    dest="$KERAS_HOME/datasets/$name"
    if [ -f "$dest" ] && [ "$(sha256sum < "$dest" | cut -d' ' -f1)" = "$sum" ]; then
        echo "$name : déjà présent et intact"
    else
        if [ -f "$dest" ]; then  # never deleted: kept aside, as the loaders do
            mv "$dest" "$dest.corrompu"
            echo "$name : la copie présente était corrompue, gardée sous $dest.corrompu"
        fi
        cp "$KIT/datasets/$name" "$dest.part" && mv "$dest.part" "$dest"
        echo "$name : copié"
    fi
done < "$KIT/datasets/SHA256SUMS"

step "Site et carnets"
rm -rf "$TARGET/site" "$TARGET/carnets" "$TARGET/reference"
[ -d "$KIT/site" ] && cp -r "$KIT/site" "$TARGET/site" && echo "site : $TARGET/site/index.html"
cp -r "$KIT/carnets" "$TARGET/carnets" && echo "carnets : $TARGET/carnets"
# `fidle-examples run` compares a run with reference/, read from the working directory.
[ -d "$KIT/reference" ] && cp -r "$KIT/reference" "$TARGET/reference" \
    && echo "résultats de référence : $TARGET/reference"

step "Diagnostic"
cd "$TARGET"
"$TARGET/.venv/bin/fidle-examples" doctor --offline --lock "$KIT/requirements.lock"

step "Un exemple rapide"
"$TARGET/.venv/bin/fidle-examples" run linear-regression --profile quick --quiet \
    --output "$TARGET/results/linear-regression"

cat <<END

Installation terminée en $(( $(date +%s) - start )) s. Pour la suite :
  cd $TARGET && source .venv/bin/activate
  fidle-examples list                 # les exemples
  fidle-examples run mnist            # un entraînement complet
END
[ -d "$TARGET/site" ] && echo "  Le cours, hors ligne : $TARGET/site/index.html dans un navigateur."
[ "$KERAS_HOME" = "$HOME/.keras" ] || echo "  (gardez KERAS_HOME=$KERAS_HOME : les données y sont)"
