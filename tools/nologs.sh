#!/bin/sh
# tools/nologs.sh DIR WHAT: fails, showing them, when DIR holds non-empty
# report files (sanitizer or valgrind logs written during a test run).
dir=$1 what=$2
found=$(find "$dir" -type f -size +0 2>/dev/null | sort)
if [ -z "$found" ]; then
    echo "$what: no reports"
    exit 0
fi
echo "$what: $(echo "$found" | wc -l) report(s) in $dir:" >&2
for f in $found; do
    echo "== $f" >&2
    head -60 "$f" >&2
done
exit 1
