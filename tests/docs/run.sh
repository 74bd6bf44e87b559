#!/usr/bin/env bash
# The docs test: every shell block of README.md and docs/*.md, run as written.
#
#   tests/docs/run.sh [FILE.md ...]      (default: README.md, then docs/*.md)
#
# Run from anywhere after `cargo build`, as root (blocks install a font and
# Chromium with apt-get; anyone else gets those skipped, saying so), with ports
# 8080, 8081 and 9000 free: the examples use them. .ci/run runs it as its last
# step.
#
# What it does:
# - A fresh copy of the repository (every file git knows, as it is in the work
#   tree) is made under /tmp, and the blocks run there, from its root. Its target/
#   is the repository's, and `cargo` runs against the repository's Cargo.toml
#   (--manifest-path), so what `cargo build` built is reused and nothing is built
#   twice. Nothing else of the copy is shared.
# - Only ```sh blocks run. The blocks of one file run in order in one bash shell
#   (`set -eu`): a variable or function from one block serves the next, as in a
#   reader's terminal, and the first command that fails fails the test, named by
#   file and line. A pipeline's status is its last command's, as in a terminal (a
#   `grep` that finds nothing early in a pipe is how some examples say "none").
# - A block whose first line starts with `#!` is a script: it is written to a file
#   and run on its own.
# - `<!-- docs-test: skip REASON -->` on the line before a block skips it; the
#   reason is printed.
# - Long-running commands are marked in the Markdown with a comment that starts
#   `# long-running:` after the command:
#     * without `&` (it keeps the terminal until Ctrl-C): the test starts it, waits
#       for its first line on stdout (at most DOCS_WAIT seconds, default 1200: a
#       `cargo run --release` may build first; a command other than cargo that
#       prints nothing counts as started after 3 s), checks that it still runs,
#       sends Ctrl-C (SIGINT to its process group) and expects it to end within
#       10 s with status 0 (a server's clean shutdown) or by the signal;
#     * with `&`: it starts in the background, as for the reader; whatever still
#       runs when the file's last block is done gets Ctrl-C, then SIGKILL.
#   Every file's blocks are bounded by DOCS_FILE_TIMEOUT seconds (default 1800).
# - Afterwards nothing may be left in the copy that .gitignore does not name:
#   examples write their files under /tmp.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
WAIT=${DOCS_WAIT:-1200}
FILE_TIMEOUT=${DOCS_FILE_TIMEOUT:-1800}
TARGET=$(cd "${CARGO_TARGET_DIR:-target}" 2>/dev/null && pwd) || {
  echo "docs test: no target directory; run cargo build first" >&2
  exit 1
}
REAL_CARGO=$(command -v cargo)

if [ "$#" -gt 0 ]; then FILES=("$@"); else FILES=(README.md docs/*.md); fi

WORK=$(mktemp -d /tmp/garake-docs.XXXXXX)
COPY="$WORK/garake"
mkdir -p "$COPY" "$WORK/bin" "$WORK/blocks"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$COPY"
ln -s "$TARGET" "$COPY/target"
(cd "$COPY" && find . -path ./target -prune -o -print | sort) >"$WORK/before"

# The copy's `cargo`: the real one, building the repository it was copied from.
cat >"$WORK/bin/cargo" <<EOF
#!/usr/bin/env bash
case "\${1:-}" in
  build|run|test|bench|check|clippy)
    sub=\$1; shift
    exec "$REAL_CARGO" "\$sub" --manifest-path "$REPO/Cargo.toml" "\$@" ;;
  *) exec "$REAL_CARGO" "\$@" ;;
esac
EOF
chmod +x "$WORK/bin/cargo"

cleanup() {
  if [ -z "${DOCS_KEEP:-}" ]; then rm -rf "$WORK"; else echo "docs test: kept $WORK"; fi
}
trap cleanup EXIT

# The helpers every generated session starts with.
cat >"$WORK/prelude.sh" <<'EOF'
# Job control: each background command gets its own process group, so Ctrl-C
# (SIGINT to the group) reaches it and its children, as in a terminal.
set -m
set -eu
DOCS_AT=
trap 'rc=$?; echo "docs test: FAILED at $DOCS_AT: \`$BASH_COMMAND\` exited $rc" >&2' ERR
# Whatever way the session ends (done, a failure, the time bound), what it
# started in the background is stopped.
trap docs_end EXIT
trap 'exit 143' TERM

# Starts a long-running command, waits for it to start, stops it with Ctrl-C.
docs_long_running() {
  local cmd=$1 out=$1.out err=$1.err waited=0 rc=0 first
  first=$(head -c 40 "$cmd" | tr -d '\n')
  # A subshell: the command sees the session's variables.
  ( source "$cmd" ) >"$out" 2>"$err" &
  local pid=$!
  while [ ! -s "$out" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || rc=$?
      cat "$out" "$err" >&2
      echo "docs test: $DOCS_AT: the long-running command ended by itself (status $rc)" >&2
      return 1
    fi
    if [ "$waited" -ge $((DOCS_WAIT * 10)) ] || { [ "$waited" -ge 30 ] && [ "${first#cargo }" = "$first" ]; }; then
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" || rc=$?
    cat "$out" "$err" >&2
    echo "docs test: $DOCS_AT: the long-running command ended by itself (status $rc)" >&2
    return 1
  fi
  echo "docs test: $DOCS_AT: started; its first lines:"
  head -n 3 "$out" | sed 's/^/    /'
  kill -INT -- "-$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "docs test: $DOCS_AT: did not stop within 10 s of Ctrl-C" >&2
    return 1
  fi
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ]; then
    tail -n 20 "$err" >&2
    echo "docs test: $DOCS_AT: ended with status $rc after Ctrl-C" >&2
    return 1
  fi
  echo "docs test: $DOCS_AT: stopped with Ctrl-C (status $rc)"
}

# As root (CI, a fresh machine) the blocks install what they say. Anyone else
# cannot: apt-get is then skipped, with the reason, and the package must be
# there already.
if [ "$(id -u)" -ne 0 ]; then
  apt-get() { echo "docs test: SKIP apt-get $* (not root: the package must be installed already)"; }
fi

# Runs a block that is a script of its own.
docs_script() {
  chmod +x "$1"
  "$1"
}

# Stops what the file's blocks left running in the background.
docs_end() {
  local pids
  pids=$(jobs -p)
  [ -z "$pids" ] && return 0
  for p in $pids; do kill -INT -- "-$p" 2>/dev/null || true; done
  for _ in $(seq 100); do
    local alive=
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  for p in $pids; do kill -KILL -- "-$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
EOF

# Writes the session for one Markdown file: its sh blocks, with long-running
# commands and scripts moved to files of their own.
generate() {
  local md=$1 session=$2 dir=$3
  awk -v md="$md" -v dir="$dir" '
    function flush_cmd(   f) {
      if (cmd == "") return
      print "DOCS_AT=" q md ":" cmdline q
      if (cmd ~ /#[ ]*long-running:/ && cmd !~ /&[^&]*#[ ]*long-running:/) {
        n++; f = dir "/cmd-" n ".sh"
        print cmd > f; close(f)
        print "docs_long_running " q f q
      } else {
        print cmd
      }
      cmd = ""
    }
    BEGIN { q = "\047"; inblock = 0; skip = ""; n = 0 }
    !inblock && /^[ ]*<!-- docs-test: skip/ {
      skip = $0; sub(/^[ ]*<!-- docs-test: skip[ ]*/, "", skip); sub(/[ ]*-->[ ]*$/, "", skip)
      gsub(q, q "\\" q q, skip)
      next
    }
    !inblock && /^[ ]*```/ {
      indent = $0; sub(/```.*/, "", indent); indent = length(indent)
      lang = $0; sub(/^[ ]*```/, "", lang); sub(/[ ].*/, "", lang)
      inblock = 1; start = NR + 1; first = 1; script = ""; cmd = ""; heredoc = ""
      runs = (lang == "sh" || lang == "bash")
      if (runs && skip != "") {
        print "echo " q "docs test: SKIP " md ":" start ": " skip q
        runs = 0
      } else if (runs) {
        print "echo " q "== " md ":" start q
      }
      skip = ""
      next
    }
    inblock && /^[ ]*```[ ]*$/ {
      if (runs) {
        flush_cmd()
        if (script != "") { close(script); print "DOCS_AT=" q md ":" start q; print "docs_script " q script q }
      }
      inblock = 0
      next
    }
    inblock && runs {
      line = $0
      if (indent > 0 && substr(line, 1, indent) ~ /^[ ]*$/) line = substr(line, indent + 1)
      if (first && line ~ /^#!/) { n++; script = dir "/script-" n }
      first = 0
      if (script != "") { print line > script; next }
      # A here-document passes through untouched, up to its end marker.
      if (heredoc != "") { print line; if (line == heredoc) heredoc = ""; next }
      if (match(line, /<<[ ]*\047?[A-Za-z_]+\047?/)) {
        heredoc = substr(line, RSTART + 2, RLENGTH - 2); gsub(/[ \047]/, "", heredoc)
        flush_cmd(); print "DOCS_AT=" q md ":" NR q; print line; next
      }
      if (cmd == "") cmdline = NR
      cmd = (cmd == "" ? line : cmd "\n" line)
      if (line !~ /\\$/) flush_cmd()
    }
    !inblock { skip = ($0 ~ /^[ ]*$/ ? skip : "") }
  ' "$REPO/$md" >"$session"
}

status=0
for md in "${FILES[@]}"; do
  [ -f "$REPO/$md" ] || { echo "docs test: no such file: $md" >&2; exit 1; }
  for port in 8080 8081 9000; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "docs test: port $port is in use; the examples need it free" >&2
      exit 1
    fi
  done
  dir="$WORK/blocks/$(echo "$md" | tr '/.' '__')"
  mkdir -p "$dir"
  session="$dir/session.sh"
  { cat "$WORK/prelude.sh"; echo "DOCS_WAIT=$WAIT"; } >"$dir/head.sh"
  generate "$md" "$dir/body.sh" "$dir"
  { cat "$dir/head.sh" "$dir/body.sh"; } >"$session"
  echo "=== $md"
  if ! (cd "$COPY" && PATH="$WORK/bin:$PATH" setsid timeout -k 10 "$FILE_TIMEOUT" bash "$session"); then
    echo "docs test: $md failed" >&2
    status=1
    break
  fi
done

if [ "$status" -eq 0 ]; then
  (cd "$COPY" && find . -path ./target -prune -o -print | sort) >"$WORK/after"
  left=$(comm -13 "$WORK/before" "$WORK/after" | sed 's#^\./##' |
    while IFS= read -r f; do
      git -C "$REPO" check-ignore -q --no-index -- "$f" || echo "$f"
    done)
  if [ -n "$left" ]; then
    echo "docs test: files left in the repository (write them under /tmp):" >&2
    echo "$left" | sed 's/^/  /' >&2
    status=1
  fi
fi

if [ "$status" -eq 0 ]; then echo "docs test: every block ran"; fi
exit "$status"
