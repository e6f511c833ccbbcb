"""Regenerate the README's screenshots (``docs/img/*.png``) from the demo's data.

What a reviewer and a migration lead see, made the way they see it: ``matsync demo`` runs
in a scratch folder, then

- the DIFF_INNERGY tab as LibreOffice shows it: the demo workbook converted headless to
  PDF (one page per sheet), the tab's page found by its header and rendered by pdftoppm;
- each HTML report (plan, health, ETL) as headless Chromium shows it (``--screenshot``).

Needs chromium, soffice (LibreOffice Calc) and poppler-utils (pdftoppm, pdftotext), as
Debian packages them. Run from anywhere:

    python docs/screenshots.py                 # writes docs/img/*.png
    python docs/screenshots.py --out /tmp/img --keep /tmp/demo
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "docs" / "img"
SHOTS = {
    "diff_innergy.png": "the DIFF_INNERGY tab, printed by LibreOffice",
    "plan_report.png": "the plan report (reports/plan_<id>.html)",
    "health_report.png": "the health report (reports/health.html)",
    "etl_report.png": "the ETL report (reports/etl_report.html)",
}
"""Every PNG the script writes, and what it shows; the README shows each."""
TOOLS = {"chromium": "chromium", "soffice": "libreoffice-calc", "pdftoppm": "poppler-utils",
         "pdftotext": "poppler-utils"}  # fmt: skip
WINDOW = {"plan_report.png": (1400, 1150), "health_report.png": (1400, 1000), "etl_report.png": (1400, 860)}
"""Browser window per report: what fits on a screen without scrolling is what is shown."""
TAB_DPI, TAB_CROP = 110, (1600, 1000)
"""The tab's page is rendered at this resolution and cut to its top-left corner, this big."""


def _run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, check=False)


def demo(folder: Path) -> Path:
    """``matsync demo`` of this checkout in ``folder``; its output folder."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    for name in ("MATERIAL_LIBRARY_MASTER", "MIGRATION_OUTPUT_DIR", "INNERGY_BASE_URL", "INNERGY_API_KEY"):
        env.pop(name, None)  # the demo's own settings, not the caller's
    done = subprocess.run(
        [sys.executable, "-m", "sheets_sync", "demo", "--dir", str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"matsync demo failed (exit {done.returncode}):\n{done.stderr}{done.stdout}")
    return folder / "output"


def tab_page(pdf: Path, header: tuple[str, ...]) -> int:
    """The first page of ``pdf`` whose text holds every word of ``header`` (a tab's header row)."""
    pages = int(next(line.split()[-1] for line in _run("pdfinfo", pdf).stdout.splitlines()
                     if line.startswith("Pages:")))  # fmt: skip
    for number in range(1, pages + 1):
        text = _run("pdftotext", "-f", number, "-l", number, "-layout", pdf, "-").stdout
        if all(word in text for word in header):
            return number
    raise SystemExit(f"no page of {pdf} shows the header {header}")


def diff_tab(workbook: Path, scratch: Path, target: Path) -> None:
    """DIFF_INNERGY as LibreOffice prints it: the workbook to PDF, one page per sheet, that
    sheet's page to PNG (its top-left ``TAB_CROP``)."""
    export = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'
    profile = (scratch / "lo-profile").as_uri()
    done = _run("soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", export,
                "--outdir", scratch, workbook)  # fmt: skip
    pdf = scratch / f"{workbook.stem}.pdf"
    if not pdf.is_file():
        raise SystemExit(f"LibreOffice did not convert {workbook}:\n{done.stderr}")
    page = tab_page(pdf, ("Plan ID", "Approve", "Change ID", "Action"))
    width, height = TAB_CROP
    _run("pdftoppm", "-png", "-singlefile", "-r", TAB_DPI, "-f", page, "-l", page, "-x", 0, "-y", 0,
         "-W", width, "-H", height, pdf, target.with_suffix(""))  # fmt: skip


def report(page: Path, target: Path, scratch: Path) -> None:
    """An HTML report as headless Chromium shows it in a window of ``WINDOW[target.name]``."""
    width, height = WINDOW[target.name]
    sandbox = ["--no-sandbox"] if getattr(os, "geteuid", lambda: 1)() == 0 else []  # root has no sandbox
    _run("chromium", "--headless", "--disable-gpu", *sandbox, "--hide-scrollbars",
         "--run-all-compositor-stages-before-draw", "--virtual-time-budget=2000",
         "--force-device-scale-factor=1", f"--user-data-dir={scratch / 'chromium-profile'}",
         f"--window-size={width},{height}", f"--screenshot={target}", page.as_uri())  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the PNGs (default: docs/img)")
    parser.add_argument("--keep", type=Path, help="run the demo in this folder and keep it")
    args = parser.parse_args(argv)
    missing = sorted({package for tool, package in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        raise SystemExit(f"missing tools; install the packages: {' '.join(missing)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in SHOTS:  # so a shot that fails is missed, not replaced by an old one
        (args.out / name).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="matsync-shots-") as temp:
        scratch = Path(temp)
        folder = args.keep.resolve() if args.keep else scratch / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        output = demo(folder)
        reports = output / "reports"
        diff_tab(folder / "matsync-demo.xlsx", scratch, args.out / "diff_innergy.png")
        plan = max(reports.glob("plan_*.html"))
        for page, name in ((plan, "plan_report.png"), (reports / "health.html", "health_report.png"),
                           (reports / "etl_report.html", "etl_report.png")):  # fmt: skip
            report(page, args.out / name, scratch)
    made = [args.out / name for name in SHOTS]
    absent = [str(path) for path in made if not path.is_file()]
    if absent:
        raise SystemExit(f"not written: {', '.join(absent)}")
    for path in made:
        print(f"{path}: {SHOTS[path.name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
