"""Window QR codes (`flask --app bot qr --unit bdc --window 5 --out bdc-5.png`).

A citizen who scans the code at 不动产登记中心 window 5 starts a report that already knows the unit and window:
WeChat sends a SCAN (or subscribe with `qrscene_`) event whose EventKey is the scene `unit=bdc;window=5`.

Production asks WeChat for a permanent QR code (QR_LIMIT_STR_SCENE, at most 100,000 per account) and renders the
URL it returns. Development renders a local PNG of the simulator's URL with the scene in it, so scanning it with a
phone on the same network, or opening it in the simulator's 扫码 panel, plays the same event.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from handlers.config import CityConfig

# Fonts with Chinese glyphs, in order of preference; without one the caption falls back to the scene string.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
MAX_WINDOW = 99


class QrError(ValueError):
    """A QR request that cannot be made; the message names the unit or window."""


@dataclass(frozen=True)
class WindowCode:
    unit: str
    window: int | None
    unit_name: str
    rate: bool = False  # a rating code (好差评): the scan asks for a five-level rating instead of a report

    @property
    def scene(self) -> str:
        """The scene string WeChat hands back in the scan event (1–64 characters)."""
        key = "rate" if self.rate else "unit"
        return f"{key}={self.unit}" + (f";window={self.window}" if self.window is not None else "")

    @property
    def caption(self) -> str:
        return self.unit_name + (f" {self.window}号窗口" if self.window is not None else "")


def window_code(city: CityConfig, unit: str, window: int | None, *, rate: bool = False) -> WindowCode:
    """Validate the unit (a respondent unit of config.yaml) and the window (1–99).

    :raises QrError: naming the unknown unit and listing the known ones, or the bad window.
    """
    found = city.unit(unit)
    if found is None:
        known = ", ".join(u.code for u in city.units)
        raise QrError(f"unknown unit {unit!r}: not a unit code in config.yaml (known: {known})")
    if window is not None and not 1 <= window <= MAX_WINDOW:
        raise QrError(f"window {window} is out of range: use 1 to {MAX_WINDOW}")
    return WindowCode(unit=found.code, window=window, unit_name=found.name, rate=rate)


def simulator_url(base_url: str, code: WindowCode) -> str:
    """What a development QR code encodes: the simulator, opened with this scan ready to send."""
    return f"{base_url.rstrip('/')}/simulator/?scan={quote(code.scene, safe='')}"


def _font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    for path in CJK_FONTS:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size), True
            except OSError:
                continue
    return ImageFont.load_default(size), False


def render_png(data: str, lines: list[str], out: Path, *, box_size: int = 10) -> tuple[int, int]:
    """Write a PNG of `data` as a QR code with caption `lines` under it; returns the image's (width, height)."""
    import qrcode
    from PIL import Image
    from PIL import ImageDraw

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    font, cjk = _font(max(18, box_size * 2))
    # Chinese captions need a CJK font; without one, keep only the lines that are plain ASCII.
    shown = [line for line in lines if cjk or line.isascii()]
    line_height = int(font.size * 1.5) if hasattr(font, "size") else 24
    width, height = code.size[0], code.size[1] + line_height * len(shown) + (box_size * 2 if shown else 0)
    image = Image.new("RGB", (width, height), "white")
    image.paste(code, (0, 0))
    draw = ImageDraw.Draw(image)
    y = code.size[1]
    for line in shown:
        left, _, right, _ = draw.textbbox((0, 0), line, font=font)
        draw.text(((width - (right - left)) // 2, y), line, fill="black", font=font)
        y += line_height
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, "PNG")
    return image.size
