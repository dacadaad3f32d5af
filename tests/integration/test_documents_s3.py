"""The uploads in an S3-compatible store, on a real S3 endpoint over HTTP.

The endpoint is moto's server mode (``python -m moto.server``, moto[s3] pinned in
requirements-dev.txt): an S3 API served by its own process on a free port, started
and stopped by this test. The documents service runs as `make up` runs it (``nameko
run --config config.yml``, its own process, configured through the environment) and
talks to the endpoint with boto3 exactly as it would to MinIO or AWS; nothing in it is
mocked. The test reads the bucket over plain HTTP (moto's server, like a MinIO with
anonymous reads, answers unsigned requests)."""
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import requests

from tests.support.documents import applicant
from tests.support.waiting import free_port, port_open, wait_for

BUCKET = "ptsp-uploads-test"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def s3_endpoint():
    """A moto S3 server process on a free port; yields its URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(port), timeout=30, what="the S3 server")
        yield {"url": f"http://127.0.0.1:{port}", "process": process}
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


REPO = Path(__file__).resolve().parents[2]


def bucket_objects(url):
    """``[(key, size, md5)]`` of the bucket, from an S3 ListObjectsV2 answer."""
    listing = requests.get(f"{url}/{BUCKET}?list-type=2", timeout=5)
    assert listing.status_code == 200, listing.text
    return [(key, int(size), etag.replace("&#34;", "").replace("&quot;", "").strip('"'))
            for key, etag, size in re.findall(
                r"<Contents>.*?<Key>([^<]+)</Key>.*?<ETag>([^<]+)</ETag>.*?<Size>(\d+)</Size>.*?</Contents>",
                listing.text, re.S)]


@pytest.fixture
def hall_on_s3(runner_factory, service_config, redis_client, s3_endpoint, tmp_path):
    """Queue and gateway in this process; the documents service in its own, with
    UPLOAD_STORE=s3 pointing at the S3 server."""
    from services.gateway.service import GatewayService
    from services.queue.service import QueueService

    runner = runner_factory(service_config, QueueService, GatewayService)
    runner.start()
    env = dict(os.environ, PTSP_PROCESS="documents-s3-test", AMQP_URI=service_config["AMQP_URI"],
               DATABASE_URL=service_config["DATABASE_URL"], REDIS_URL=service_config["REDIS_URL"],
               REDIS_NAMESPACE=service_config["REDIS_NAMESPACE"], PTSP_SITE=service_config["PTSP_SITE"],
               PTSP_SECRET=service_config["PTSP_SECRET"], PTSP_PUBLIC_URL=service_config["PTSP_PUBLIC_URL"],
               METRICS_PORT="0", UPLOAD_STORE="s3", S3_ENDPOINT_URL=s3_endpoint["url"], S3_BUCKET=BUCKET,
               S3_ACCESS_KEY_ID="test", S3_SECRET_ACCESS_KEY="test-secret", S3_PREFIX="uploads/",
               S3_CREATE_BUCKET="true", UPLOAD_DIR=str(tmp_path / "not-used"))
    log = open(tmp_path / "documents.log", "wb")
    documents = subprocess.Popen(
        [str(Path(sys.executable).parent / "nameko"), "run", "--config", "config.yml",
         "services.documents.service:DocumentsService"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://{service_config['WEB_SERVER_ADDRESS']}"
    try:
        wait_for(lambda: documents.poll() is None and requests.get(f"{base}/api/application-types").status_code == 200,
                 timeout=60, what="the documents service on S3")
        yield base, s3_endpoint
    finally:
        documents.terminate()
        documents.wait(timeout=20)
        log.close()


def upload_rows(database_url, tracking_code):
    with psycopg.connect(database_url) as conn:
        return conn.execute("""SELECT u.storage_key, u.size, u.sha256 FROM documents.uploads u
                               JOIN documents.applications a ON a.id = u.application_id
                               WHERE a.tracking_code = %s""", (tracking_code,)).fetchall()


def test_uploads_go_to_the_s3_store_and_come_back_from_it(hall_on_s3, database_url, tmp_path):
    """Broke: uploads could only live on one machine's disk. Checks: with
    UPLOAD_STORE=s3 the service creates its bucket, an uploaded PDF is an object
    under uploads/<key[:2]>/<key> in that bucket (the same size and MD5; nothing under
    UPLOAD_DIR), the holder of the tracking code gets it back over HTTP; with the S3
    server stopped an upload answers 503 naming the storage and no row is written,
    and reading the stored file answers 503, not 500."""
    base, s3 = hall_on_s3
    created = requests.post(f"{base}/api/applications", json={"type": "LOST_ITEM_REPORT", "applicant": applicant(7)})
    assert created.status_code == 201, created.text
    code = created.json()["tracking_code"]

    sent = requests.post(f"{base}/api/applications/{code}/uploads/police_report", data=PDF,
                         headers={"Content-Type": "application/pdf"})
    assert sent.status_code == 201, sent.text
    [(key, size, _sha)] = upload_rows(database_url, code)
    assert size == len(PDF)
    # The object under the service's own key, with the upload's bytes (S3's ETag of a
    # single-part object is its MD5).
    assert bucket_objects(s3["url"]) == [(f"uploads/{key[:2]}/{key}", len(PDF), hashlib.md5(PDF).hexdigest())]
    assert not (tmp_path / "not-used").exists() or not any((tmp_path / "not-used").rglob("*"))

    served = requests.get(f"{base}/api/applications/{code}/uploads/{sent.json()['id']}")
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["Content-Type"] == "application/pdf"

    s3["process"].terminate()
    s3["process"].wait(timeout=10)
    refused = requests.post(f"{base}/api/applications/{code}/uploads/police_report", data=PDF,
                            headers={"Content-Type": "application/pdf"})
    assert refused.status_code == 503, refused.text
    assert "storage" in refused.json()["error"]["fields"]
    assert len(upload_rows(database_url, code)) == 1
    unreadable = requests.get(f"{base}/api/applications/{code}/uploads/{sent.json()['id']}")
    assert unreadable.status_code == 503
