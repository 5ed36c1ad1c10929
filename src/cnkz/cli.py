"""The `cnkz` command: a thin layer that turns library errors into messages and exit codes."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .errors import CnkzError, ValidationFailed


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder upwards holding pyproject.toml and curation/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "curation").is_dir():
            return folder
    raise CnkzError("not inside the dataset repository (no pyproject.toml with curation/ above here); run from the repository or pass a directory")


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    root = Path(args.root).resolve() if args.root else find_root()
    started = time.perf_counter()
    files = build(root)
    print(f"built {len(files)} files in {root} ({time.perf_counter() - started:.2f} s); validation passed")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import validate

    directory = Path(args.directory).resolve() if args.directory else find_root()
    started = time.perf_counter()
    problems = validate(directory, rebuild=not args.no_rebuild)
    elapsed = time.perf_counter() - started
    if problems:
        raise ValidationFailed(problems)
    print(f"{directory}: valid ({elapsed:.2f} s)")
    return 0


def _write_generated(args: argparse.Namespace, write: Callable[[Path], list[Path]]) -> int:
    root = Path(args.root).resolve() if args.root else find_root()
    for path in write(root):
        print(f"wrote {path.relative_to(root)}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from .docs import write_docs

    return _write_generated(args, write_docs)


def cmd_release(args: argparse.Namespace) -> int:
    from .diff import render_text
    from .release import release

    root = Path(args.root).resolve() if args.root else find_root()
    result = release(root, Path(args.dist).resolve() if args.dist else None)
    state = "already published, identical bytes" if result.already_published else "published"
    print(f"{result.path} ({state})\nsha256 {result.sha256}")
    if result.diff is not None:
        print(render_text(result.diff))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    import json

    from .diff import diff, load_snapshot, render_text

    change = diff(load_snapshot(Path(args.old)), load_snapshot(Path(args.new)))
    print(json.dumps(change.to_json(), indent=2) if args.json else render_text(change, limit=args.limit))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from .fetch import fetch

    result = fetch(args.url, sha256=args.sha256, cache_dir=args.cache_dir, offline=args.offline)
    state = "from the cache" if result.from_cache else "downloaded and verified"
    print(f"{result.path}\nversion {result.version} ({state}); load it with cnkz.load({str(result.path)!r})")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from .audit import unsupported_statements

    found = unsupported_statements(Path(args.root) if args.root else find_root())
    for pledge_id, words in found:
        print(f"{pledge_id}: {', '.join(words)}")
    print(f"{len(found)} statement(s) with words their quote does not account for" if found else "every statement is accounted for by its quote")
    return 1 if found else 0


def cmd_figures(args: argparse.Namespace) -> int:
    from .figures import write_figures

    return _write_generated(args, write_figures)


def cmd_site(args: argparse.Namespace) -> int:
    from .site import write_site

    root = Path(args.root).resolve() if args.root else find_root()
    written = write_site(root, Path(args.out).resolve() if args.out else None)
    out = Path(args.out).resolve() if args.out else root / "site"
    print(f"wrote {len(written)} files to {out}; open {out / 'index.html'} (works offline, from file://)")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cnkz", description="Build and validate the China–Kazakhstan engagements dataset.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="curate, write resources/ and datapackage.json, validate, then publish")
    b.add_argument("--root", help="repository root (default: found from the current directory)")
    b.set_defaults(func=cmd_build)
    v = sub.add_parser("validate", help="run every validation layer on a package directory")
    v.add_argument("directory", nargs="?", help="package directory (default: the repository root)")
    v.add_argument("--no-rebuild", action="store_true", help="skip the fresh-build comparison and the coverage audit")
    v.set_defaults(func=cmd_validate)
    d = sub.add_parser("docs", help="regenerate the codebook and the generated parts of CURATION.md")
    d.add_argument("--root", help="repository root")
    d.set_defaults(func=cmd_docs)
    r = sub.add_parser("release", help="build, validate and write dist/<name>-<version>.zip; refuse what breaks versioning")
    r.add_argument("--root", help="repository root")
    r.add_argument("--dist", help="output folder (default: dist/ in the repository)")
    r.set_defaults(func=cmd_release)
    df = sub.add_parser("diff", help="rows and schema changed between two releases or package directories")
    df.add_argument("old", help="release archive or package directory")
    df.add_argument("new", help="release archive or package directory")
    df.add_argument("--json", action="store_true", help="machine-readable output")
    df.add_argument("--limit", type=int, default=50, help="rows listed per kind of change (text output)")
    df.set_defaults(func=cmd_diff)
    fe = sub.add_parser("fetch", help="download a release .zip or datapackage.json URL, verify it against the published sha256, cache it by version")
    fe.add_argument("url", help="URL of a release archive (.zip) or of a published datapackage.json")
    fe.add_argument("--sha256", help="the sha256 published for the archive or descriptor (default: from the releases' index.json next to an archive)")
    fe.add_argument("--cache-dir", help="cache folder (default: $CNKZ_CACHE or ~/.cache/cnkz)")
    fe.add_argument("--offline", action="store_true", help="use only the cache; never touch the network")
    fe.set_defaults(func=cmd_fetch)
    au = sub.add_parser("audit", help="list pledge statement words that the pledge's quote does not account for (widen the quote or reword)")
    au.add_argument("--root", help="repository root")
    au.set_defaults(func=cmd_audit)
    fg = sub.add_parser("figures", help="draw docs/figures/{timeline,targets}.{png,svg} from the published tables (needs matplotlib)")
    fg.add_argument("--root", help="repository root")
    fg.set_defaults(func=cmd_figures)
    st = sub.add_parser("site", help="write the static site (home, a page per table, a provenance page per source text) to site/")
    st.add_argument("--root", help="repository root")
    st.add_argument("--out", help="output folder (default: site/ in the repository)")
    st.set_defaults(func=cmd_site)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationFailed as exc:
        print(exc.report(), file=sys.stderr)
        print(f"cnkz: {exc}; nothing was published" if args.command == "build" else f"cnkz: {exc}", file=sys.stderr)
        return 1
    except CnkzError as exc:
        print(f"cnkz: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
