"""The CJK font of the PDFs: INVOICING_PDF_FONT_PATH, else the first Debian CJK font known here."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTLibError

from app.core.settings import get_settings

# Debian packages with the whole GB 2312/GBK repertoire, best first. `.ci/run` and the Dockerfile
# install fonts-wqy-microhei (5 MB, TrueType outlines). Fonts with TrueType outlines come first:
# fpdf2 embeds a CFF-outline font (Noto CJK) with an embedded encoding CMap, which viewers render
# but pypdf's text extraction reads as one-byte codes, so its text could not be read back.
KNOWN_FONT_PATHS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),  # fonts-arphic-uming
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),  # fonts-droid-fallback
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # fonts-noto-cjk (CFF)
)
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")


class FontNotFound(RuntimeError):
    """No CJK font to render a PDF with: the message says where it looked and how to fix it."""


@dataclass(frozen=True, slots=True)
class FontFile:
    path: Path
    # For a collection (.ttc/.otc): which face. Noto CJK holds JP, KR, SC, TC, HK: take SC.
    face: int = 0


def _simplified_chinese_face(path: Path) -> int:
    """The face of a collection whose family names Simplified Chinese (… SC, … CN, 简), else 0."""
    try:
        collection = TTCollection(str(path), lazy=True)
    except (TTLibError, OSError) as exc:
        raise FontNotFound(f"{path} is not a font collection fpdf2 can read: {exc}") from exc
    try:
        for index, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith((" SC", " CN")) or "简" in family:
                return index
        return 0
    finally:
        collection.close()


@lru_cache(maxsize=8)
def _resolve(configured: Path | None) -> FontFile:
    candidates = (configured,) if configured is not None else KNOWN_FONT_PATHS
    for path in candidates:
        if path.is_file():
            if path.suffix.lower() not in _FONT_SUFFIXES:
                raise FontNotFound(f"{path}: a PDF font must be a .ttf, .otf, .ttc or .otc file")
            face = _simplified_chinese_face(path) if path.suffix.lower() in (".ttc", ".otc") else 0
            return FontFile(path, face)
    if configured is not None:
        raise FontNotFound(f"INVOICING_PDF_FONT_PATH={configured} does not exist")
    tried = ", ".join(str(path) for path in KNOWN_FONT_PATHS)
    raise FontNotFound(
        "no CJK font for invoice PDFs: install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk) "
        f"or set INVOICING_PDF_FONT_PATH to a .ttf/.otf/.ttc with Chinese glyphs; looked at {tried}"
    )


def find_cjk_font(configured: Path | None = None) -> FontFile:
    """The font to use: `configured`, else INVOICING_PDF_FONT_PATH, else the first known path present.
    Raises FontNotFound with the remedy when there is none."""
    return _resolve(configured if configured is not None else get_settings().pdf_font_path)
