#!/usr/bin/env bash
# Re-fetch the vendored browser files under assets/vendor/ from the npm registry, by exact
# version (`npm pack NAME@VERSION`, then extract the one file), and check every file against
# the committed SHA-256 list assets/vendor/SHA256SUMS.
#
#   bash assets/fetch.sh            fetch, then check (fails on any mismatch)
#   bash assets/fetch.sh --check    only check the files already in the repository
#   bash assets/fetch.sh --update   fetch and rewrite SHA256SUMS (after changing a version
#                                   below; review the diff, and bump the served paths in
#                                   src/playground.rs and assets/playground/*.html)
#
# npm itself verifies each tarball against the registry's integrity hash.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vendor="$here/vendor"

# package  version  file inside the tarball  destination under assets/vendor/
FILES=(
    "graphiql 4.1.2 package/graphiql.min.js graphiql@4.1.2/graphiql.min.js"
    "graphiql 4.1.2 package/graphiql.min.css graphiql@4.1.2/graphiql.min.css"
    "graphiql 4.1.2 package/LICENSE graphiql@4.1.2/LICENSE"
    "react 18.3.1 package/umd/react.production.min.js react@18.3.1/react.production.min.js"
    "react 18.3.1 package/LICENSE react@18.3.1/LICENSE"
    "react-dom 18.3.1 package/umd/react-dom.production.min.js react-dom@18.3.1/react-dom.production.min.js"
    "react-dom 18.3.1 package/LICENSE react-dom@18.3.1/LICENSE"
    "@graphiql/plugin-explorer 4.0.6 package/dist/index.umd.js plugin-explorer@4.0.6/index.umd.js"
    "@graphiql/plugin-explorer 4.0.6 package/dist/style.css plugin-explorer@4.0.6/style.css"
    "@graphiql/plugin-explorer 4.0.6 package/package.json plugin-explorer@4.0.6/package.json"
    "graphiql-explorer 0.9.0 package/LICENSE plugin-explorer@4.0.6/LICENSE.graphiql-explorer"
    "graphql-ws 6.4.2 package/umd/graphql-ws.min.js graphql-ws@6.4.2/graphql-ws.min.js"
    "graphql-ws 6.4.2 package/LICENSE.md graphql-ws@6.4.2/LICENSE.md"
)

check() {
    (cd "$vendor" && sha256sum --quiet -c SHA256SUMS) && echo "assets/vendor: every file matches SHA256SUMS"
}

fetch() {
    local work
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' RETURN
    local entry name version inner dest tarball
    for entry in "${FILES[@]}"; do
        read -r name version inner dest <<<"$entry"
        local unpacked="$work/${name//\//_}@$version"
        if [ ! -d "$unpacked" ]; then
            tarball=$(cd "$work" && npm pack --silent "$name@$version" | tail -n 1)
            mkdir -p "$unpacked"
            tar -xzf "$work/$tarball" -C "$unpacked"
        fi
        mkdir -p "$vendor/$(dirname "$dest")"
        cp "$unpacked/$inner" "$vendor/$dest"
    done
}

case "${1:-}" in
    --check) check ;;
    --update)
        fetch
        (cd "$vendor" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
        echo "rewrote assets/vendor/SHA256SUMS"
        ;;
    "") fetch && check ;;
    *) echo "usage: $0 [--check|--update]" >&2; exit 2 ;;
esac
