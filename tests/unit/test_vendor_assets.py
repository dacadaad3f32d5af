"""The charting library shipped with the gateway: pinned, unchanged, with its licence."""
import hashlib
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "services" / "gateway" / "static" / "vendor" / "uplot"

# sha256 of the files as they are in the npm package uplot@1.6.32
PINNED = {
    "uPlot.esm.js": "5dd9b3281aa64b461b42d9945f6adb2649d346502b12281a9ae0d46599a80eba",
    "uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
    "LICENSE": "8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd",
}


def test_uplot_is_the_pinned_release_with_its_licence():
    for name, digest in PINNED.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in (VENDOR / "LICENSE").read_text()
    assert "uplot@1.6.32" in (VENDOR / "README.md").read_text()
