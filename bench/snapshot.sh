# Sourced by the benchmarks that time themselves: checks HEAD (or SNAPSHOT_COMMIT) out into a worktree
# at $SRC and builds the CLI there, so that editing or rebuilding this checkout while a benchmark runs
# cannot change what it measures. Sets $commit; removes the worktree when the benchmark exits.
#   source bench/snapshot.sh NAME SRC      (NAME labels the warning)
commit=$(git rev-parse "${SNAPSHOT_COMMIT:-HEAD}")
[[ -z "${SNAPSHOT_COMMIT:-}" && -n "$(git status --porcelain -- core cli examples pom.xml)" ]] && \
  echo "$1: uncommitted changes in this checkout are NOT measured; measuring HEAD $commit" >&2
rm -rf "$2"
git worktree prune
git worktree add --detach -q "$2" "$commit"
trap "git worktree remove --force '$2' 2>/dev/null || true" EXIT
echo "== building $commit in $2" >&2
"$2/ft4j" models > /dev/null
