"""Screenshots of the browser panel for the docs (`make screenshots`): for each of the guide's
patches, the firmware runs on the simulated board set up as the patch, headless Chromium
opens `ms20 run --web`'s page, and the panel is saved as docs/panel/<patch>.png; the whole
page, a key held (scope, spectrum, a CV meter), as docs/web-panel.png (the README shows it).

Needs the [web] and [test] extras and Debian's chromium + chromium-driver.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "web"))
from webkit import browser, have_browser, open_panel, web_box  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNGs (default docs/)")
    args = ap.parse_args()
    if not have_browser():
        print("screenshots: needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium "
              "chromium-driver)", file=sys.stderr)
        return 2
    from selenium.webdriver.common.by import By

    out = Path(args.out)
    (out / "panel").mkdir(parents=True, exist_ok=True)
    patches = sorted((ROOT / "patches").glob("*.toml"))
    with browser(1500, 1000) as d:
        for path in patches:
            with web_box(str(path), seconds=5.0) as (_box, web, _tap, _mock):
                open_panel(d, web)
                time.sleep(0.3)
                target = out / "panel" / f"{path.stem}.png"
                d.find_element(By.CSS_SELECTOR, "#panel svg").screenshot(str(target))
                print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        with web_box(str(ROOT / "patches" / "1-internal-voice.toml"), seconds=10.0) as (_box, web, _t, _m):
            from selenium.webdriver.common.action_chains import ActionChains
            open_panel(d, web)
            ActionChains(d).key_down("q").perform()     # C4 held: the scope, spectrum and EG-1 meter move
            time.sleep(1.0)
            target = out / "web-panel.png"
            d.save_screenshot(str(target))
            ActionChains(d).key_up("q").perform()
            print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
