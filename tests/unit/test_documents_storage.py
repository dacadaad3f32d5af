"""The uploads' storage on its own: types from the bytes, keys never from names."""
import pytest

from services.documents.storage import LocalDirectoryStore, sniff


@pytest.mark.parametrize("data, expected", [
    (b"%PDF-1.7\n...", "application/pdf"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    (b"MZ\x90\x00", None),                    # an executable, whatever it is called
    (b"<html><script>", None),
    (b"", None),
    (b" %PDF-1.7", None),                     # the signature must come first
])
def test_the_type_comes_from_the_first_bytes(data, expected):
    """Broke: a file's type could be taken from its name. Checks: PDF, JPEG and PNG by
    their signatures; anything else is None."""
    assert sniff(data) == expected


def test_the_local_store_keeps_files_under_its_own_keys_only(tmp_path):
    """Broke: a client's file name could become a path. Checks: a file is stored and
    read back under a hex key; a key that is a path or a name is refused."""
    store = LocalDirectoryStore(tmp_path / "uploads")
    key = "0123456789abcdef0123456789abcdef"
    store.put(key, b"%PDF-1")
    assert store.get(key) == b"%PDF-1"
    for bad in ("../../etc/passwd", "scan.pdf", key.upper(), ""):
        with pytest.raises(ValueError):
            store.put(bad, b"x")
    assert [p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == [key]


def test_the_store_is_chosen_by_configuration(tmp_path):
    """Broke: the store was fixed in code. Checks: no UPLOAD_STORE gives the local
    directory (UPLOAD_DIR, else the default root); s3 needs S3_BUCKET; an unknown store
    is refused at start-up naming the setting. (The S3 store itself runs against a
    real S3 endpoint in tests/integration/test_documents_s3.py.)"""
    from services.documents.storage import S3Store, store_from

    assert isinstance(store_from({}, tmp_path / "default"), LocalDirectoryStore)
    assert (tmp_path / "default").is_dir()
    local = store_from({"UPLOAD_STORE": "local", "UPLOAD_DIR": str(tmp_path / "set")}, tmp_path / "default")
    assert local.root == tmp_path / "set"
    with pytest.raises(ValueError, match="S3_BUCKET"):
        store_from({"UPLOAD_STORE": "s3"}, tmp_path)
    with pytest.raises(ValueError, match="UPLOAD_STORE"):
        store_from({"UPLOAD_STORE": "ftp"}, tmp_path)
    # A key that is not the service's own never reaches the S3 client either.
    with pytest.raises(ValueError):
        S3Store._object(S3Store.__new__(S3Store), "../escape")
