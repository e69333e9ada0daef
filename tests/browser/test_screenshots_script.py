"""scripts/screenshots.py makes the README's light and dark screenshots of the sign-in page."""

import struct

from screenshots import SIZE, shoot


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])  # IHDR: width, height


def test_screenshots_script_writes_a_light_and_a_dark_sign_in_page(tmp_path, kratos_bin, chromium):
    written = shoot(tmp_path, chromium)
    assert [p.name for p in written] == ["sign-in-light.png", "sign-in-dark.png"]
    light, dark = (p.read_bytes() for p in written)
    assert png_size(light)[0] == png_size(dark)[0] == SIZE["width"]
    assert light != dark
