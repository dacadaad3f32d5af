"""Where uploaded files live: a small interface with a local-directory store.

A file is stored under a key the service makes (a random hex id), never under the
name the client sent, so no upload can choose its own path. Its type is decided
from its first bytes, never from its name or the client's Content-Type.
"""
import os
import re
import tempfile
from pathlib import Path
from typing import Optional, Protocol

MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# The formats an applicant may send: scans (PDF) and photos (JPEG, PNG).
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
KEY = re.compile(r"^[0-9a-f]{32}$")


def sniff(data: bytes) -> Optional[str]:
    """The content type the bytes say they are (PDF, JPEG or PNG), or None."""
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...


class LocalDirectoryStore:
    """Files under one directory, written whole (temporary file, then rename)."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key):
        if not KEY.match(key):  # only keys this service made
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def put(self, key, data):
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key):
        return self._path(key).read_bytes()
