"""The front-end files Solara's page loads, installed from the npm registry for offline use.

Solara's page fetches its JavaScript and CSS through a CDN proxy, which caches each file in
``solara.server.settings.assets.proxy_cache_dir`` (``SOLARA_ASSETS_PROXY_CACHE_DIR``; by
default inside the virtual environment). Offline the CDN cannot be reached and the page stays
blank. ``python -m regroup.demo.assets`` fills that cache with ``npm pack`` at the versions
Solara asks for, laid out as the CDN serves them (``name@version/path``), so the page loads
with no request leaving the machine. Run by ``make`` (the install step); idempotent.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# (npm package, version as Solara asks for it, files the page loads from it)
PACKAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "@widgetti/solara-vuetify-app",
        "10.1.1",
        ("dist/main8.css", "dist/fonts.css", "dist/solara-vuetify-app8.min.js"),
    ),
    ("@widgetti/vue-grid-layout", "2.3.13-alpha.2", ("dist/vue-grid-layout.umd.js",)),
    ("requirejs", "2.3.6", ("require.js", "require.min.js")),
    ("font-awesome", "4.5.0", ("css/font-awesome.min.css",)),
    # solara.Markdown loads mermaid (diagrams) and KaTeX (maths) whatever the text
    ("mermaid", "10.8.0", ("dist/mermaid.min.js",)),
    (
        "katex",
        "0.16.9",
        ("dist/katex.min.js", "dist/katex.min.css", "dist/contrib/auto-render.min.js"),
    ),
    # Altair charts (Mesa's default space view); the demo draws with Matplotlib
    ("vega", "5", ("build/vega.min.js",)),
    ("vega-lite", "5", ("build/vega-lite.min.js",)),
    ("vega-embed", "6", ("build/vega-embed.min.js",)),
)
# files the CDN minifies on the fly and npm does not ship: the unminified file serves as well
COPIES = {"requirejs@2.3.6/require.min.js": "require.js"}


def cache_dir() -> Path:
    """Solara's asset proxy cache directory (honours ``SOLARA_ASSETS_PROXY_CACHE_DIR``)."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if env:
        return Path(env)
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def missing(directory: Path | None = None) -> list[str]:
    """The files the page needs that are not in the cache, as ``name@version/path``."""
    directory = directory or cache_dir()
    return [
        f"{name}@{version}/{path}"
        for name, version, paths in PACKAGES
        for path in paths
        if not (directory / f"{name}@{version}" / path).is_file()
    ]


def npm() -> str:
    """The npm client; installed with apt-get when missing and running as root."""
    found = shutil.which("npm")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "npm"], check=True, env=env)
        found = shutil.which("npm")
    if not found:
        raise RuntimeError("npm is needed to install the demo's front-end files: install npm")
    return found


def install(directory: Path | None = None) -> list[str]:
    """``npm pack`` every package with a missing file into the cache; returns what it added."""
    directory = directory or cache_dir()
    added = []
    for name, version, paths in PACKAGES:
        target = directory / f"{name}@{version}"
        if all((target / p).is_file() for p in paths):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [npm(), "pack", f"{name}@{version}", "--silent", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                text=True,
            )
            tarball = Path(tmp) / out.stdout.strip().splitlines()[-1]
            with tarfile.open(tarball) as tar:
                tar.extractall(tmp, filter="data")
            staged = Path(tmp) / "package"
            for dest, src in COPIES.items():
                if dest.startswith(f"{name}@{version}/"):
                    shutil.copyfile(staged / src, staged / dest.split("/", 1)[1])
            absent = [p for p in paths if not (staged / p).is_file()]
            if absent:
                raise RuntimeError(f"{name}@{version} from npm has no {', '.join(absent)}")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            shutil.move(str(staged), target)
        added.append(f"{name}@{version}")
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m regroup.demo.assets", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only list missing files")
    args = parser.parse_args(argv)
    if args.check:
        gone = missing()
        print("\n".join(gone) if gone else f"all demo assets in {cache_dir()}")
        return 1 if gone else 0
    added = install()
    print(f"demo assets in {cache_dir()}: " + (f"added {', '.join(added)}" if added else "ok"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
