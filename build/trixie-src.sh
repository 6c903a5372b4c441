# Sourced by build/deps.sh and build/peers.sh: Debian trixie source packages.
#
# The deb-src entry for suite trixie (same URIs and keyring as the bookworm
# one) lives in its own apt configuration under the cache, not in
# /etc/apt/sources.list.d: with trixie in the system's lists, `apt-get source
# zlib` and `apt-cache showsrc` would pick trixie's newer packages for every
# bookworm dependency deps.sh builds (and change its cache key).
#
# Needs: $CACHE set by the caller; root (apt-get writes its lists there).

TRIXIE_APT="$CACHE/apt-trixie"

trixie_apt() {
  apt-get -o Dir::Etc::SourceList="$TRIXIE_APT/trixie.sources" -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::State::Lists="$TRIXIE_APT/lists" -o Dir::Cache="$TRIXIE_APT/cache" "$@"
}

# Creates the source list and fetches its index when missing or a day old.
trixie_apt_update() {
  mkdir -p "$TRIXIE_APT/lists/partial" "$TRIXIE_APT/cache/archives/partial"
  cat > "$TRIXIE_APT/trixie.sources" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # deps.sh and peers.sh may both get here at once: one updater at a time.
  (
    flock 8
    if [ -z "$(find "$TRIXIE_APT/lists" -maxdepth 1 -name '*_trixie_main_source_Sources*' -mtime -1)" ]; then
      trixie_apt update -qq >&2
    fi
  ) 8>"$TRIXIE_APT/.lock"
}

# trixie_fetch PKG UPSTREAM_VERSION DIR: downloads PKG's trixie source into
# DIR and unpacks its upstream (.orig) tarball there; prints the unpacked
# directory. The registry does not serve every side file (some .asc, some
# Debian tarballs): a failed download is tolerated as long as the orig
# tarball of the expected upstream version arrived.
trixie_fetch() {
  local pkg=$1 ver=$2 dir=$3 orig
  mkdir -p "$dir"
  (cd "$dir" && trixie_apt source --download-only "$pkg/trixie" >&2) || true
  orig=$(find "$dir" -maxdepth 1 -name "${pkg}_${ver}.orig.tar.*" ! -name '*.asc' | head -n1)
  if [ -z "$orig" ]; then
    echo "trixie: no ${pkg}_${ver}.orig tarball (the registry serves: $(ls "$dir"))" >&2
    return 1
  fi
  tar -C "$dir" -xf "$orig"
  find "$dir" -mindepth 1 -maxdepth 1 -type d -name "*${ver}*" | head -n1
}
