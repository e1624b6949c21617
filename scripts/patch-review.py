#!/usr/bin/env python3
"""Our patch set as reviewers read patches, and the check that each hunk replaces what it means to.

A hunk of netcode-sys/patches/*.patch is `@@ FIRST LAST HASH` and the `+` lines that replace
lines FIRST..LAST of the verified netcode.c; HASH is the first 12 hex digits of the SHA-256 of
those replaced lines (each followed by a newline), so that no upstream text is committed yet a
hunk aimed at the wrong lines is caught (the build checks it too).

  scripts/patch-review.py diff [PATCH...]   each patch as a unified diff against the verified file
  scripts/patch-review.py --check           every hunk has a HASH, and it matches
  scripts/patch-review.py annotate          writes each hunk's HASH (after moving a hunk)

The verified netcode.c is the one this checkout's build verified (its source directory, from
cargo's build-script output); its line endings are normalized to LF.
"""
import difflib
import glob
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATCHES = os.path.join(ROOT, "netcode-sys", "patches")


def pinned_sum():
    with open(os.path.join(ROOT, "netcode-sys", "build.rs")) as f:
        text = f.read()
    start = text.index('"netcode.c",')
    return text[start:].split('"')[3]


def candidates():
    """Where the build finds netcode.c, in its order; the registry copy last."""
    if os.environ.get("NETCODE_SYS_SOURCE_DIR"):
        base = os.environ["NETCODE_SYS_SOURCE_DIR"]
        yield os.path.join(base, "c", "netcode.c")
        yield os.path.join(base, "netcode.c")
    yield os.path.join(ROOT, "netcode.io", "c", "netcode.c")
    # The build's own record of its verified source (works when the build succeeds).
    build = subprocess.run(
        ["cargo", "build", "-q", "-p", "netcode-sys", "--message-format=json"],
        cwd=ROOT, capture_output=True, text=True)
    for line in build.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "build-script-executed" and "netcode-sys" in message["package_id"]:
            for name, value in message.get("env", []):
                if name == "NETCODE_SYS_VERIFIED_SOURCE":
                    yield os.path.join(value, "netcode.c")
    # The registry package that carries it (when a patch no longer applies, the build fails).
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    yield from glob.glob(os.path.join(home, "registry", "src", "*", "netcode-0.3.1", "c", "netcode.c"))


def verified_lines():
    expected = pinned_sum()
    for path in candidates():
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read().replace(b"\r\n", b"\n")
        if hashlib.sha256(data).hexdigest() == expected:
            text = data.decode()
            return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    sys.exit("patch-review: no netcode.c with the pinned SHA-256 found (build once, or set "
             "NETCODE_SYS_SOURCE_DIR)")


def digest(lines):
    return hashlib.sha256("".join(l + "\n" for l in lines).encode()).hexdigest()[:12]


def hunks(path):
    """(line index of the header, first, last, hash or None, added lines) per hunk."""
    result = []
    with open(path) as f:
        text = f.read().split("\n")
    for index, line in enumerate(text):
        if line.startswith("@@ "):
            fields = line[3:].split()
            result.append([index, int(fields[0]), int(fields[1]),
                           fields[2] if len(fields) > 2 else None, []])
        elif line.startswith("+") and result:
            result[-1][4].append(line[1:])
    return text, result


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "diff"
    source = verified_lines()
    paths = sorted(glob.glob(os.path.join(PATCHES, "*.patch")))
    if mode == "diff" and len(sys.argv) > 2:
        paths = [p for p in paths if any(a in os.path.basename(p) for a in sys.argv[2:])]
    bad = 0
    for path in paths:
        name = os.path.basename(path)
        text, found = hunks(path)
        for header, first, last, recorded, added in found:
            replaced = source[first - 1:last]
            actual = digest(replaced)
            if mode == "annotate":
                text[header] = f"@@ {first} {last} {actual}"
            elif mode == "--check":
                if recorded is None:
                    print(f"patch-review: {name}: hunk @@ {first} {last} has no hash", file=sys.stderr)
                    bad += 1
                elif recorded != actual:
                    print(f"patch-review: {name}: hunk @@ {first} {last} expects lines hashing to "
                          f"{recorded}, the verified file's hash to {actual}", file=sys.stderr)
                    bad += 1
            else:
                context = 3
                start = max(first - 1 - context, 0)
                before = source[start:min(last + context, len(source))]
                after = source[start:first - 1] + added + source[last:min(last + context, len(source))]
                for line in difflib.unified_diff(
                        [l + "\n" for l in before], [l + "\n" for l in after],
                        fromfile=f"a/netcode.c (pinned, lines {first}-{last})",
                        tofile=f"b/netcode.c ({name})", n=context):
                    if line.startswith("@@"):
                        # Line numbers of the whole file, not of the excerpt.
                        line = f"@@ -{start + 1},{len(before)} +{start + 1},{len(after)} @@\n"
                    sys.stdout.write(line)
        if mode == "annotate":
            with open(path, "w") as f:
                f.write("\n".join(text))
    if mode == "--check":
        if bad:
            sys.exit(1)
        print(f"patch-review: every hunk of {len(paths)} patches replaces the lines it expects")


main()
