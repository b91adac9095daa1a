"""The only way a pack reaches outside its HTML: files inside `report_templates/`, nothing else.

Submitter text is autoescaped by Jinja2, so it cannot become markup. This fetcher is the second
wall: even markup that slipped through (`<img src=file:///etc/passwd>`, CSS `url(http://...)`,
`<a rel=attachment href=...>`) fetches and embeds nothing. Refused URLs are kept in `refused`, so
a test can prove the fetcher was asked and said no, and no network or other file was touched.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["TEMPLATE_DIR", "FetchRefused", "TemplateFetcher"]

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "report_templates"

_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".ttf": "font/ttf", ".woff2": "font/woff2"}


class FetchRefused(ValueError):
    """A URL outside the template folder (WeasyPrint logs it and goes on without the resource)."""


class TemplateFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type hints
    """Serves `file://` URLs that resolve (symlinks followed) to a file inside `root`; refuses the rest."""

    def __init__(self, root: Path = TEMPLATE_DIR, **kwargs: Any) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, **kwargs)
        self.root = root.resolve(strict=True)
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self._allowed_path(url)
        if path is None:
            self.refused.append(url)
            raise FetchRefused(f"pack resources come only from {self.root}: refused {url[:200]!r}")
        self.served.append(url)
        content_type = (
            _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

    def _allowed_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return None
        if not path.is_file() or not path.is_relative_to(self.root):
            return None
        return path
