"""Ingestion throughput and memory, with both services as processes on the embedded default.

1. Throughput: small text documents uploaded over HTTP until every job succeeded, counted in
   searchable chunks per second, against the raw embedder (MiniLM, same threads) embedding
   the very same chunks in this process in the same run. Target (issue 7): >= 0.8x.
2. Memory: the content process's peak RSS (VmHWM) while it ingests about 100 MB of mixed
   documents (PDFs and DOCX files carrying large images, HTML, Markdown, CSV); the Milvus Lite
   child's peak is reported beside it. Reported, no target.

Run: ``uv run --frozen python -m bench ingestion`` (or ``make bench``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.corpus import WORDS
from fltr_content.embeddings.minilm import MiniLMEmbedder
from fltr_content.ingest.chunking import chunk_document
from fltr_content.ingest.parsers import parse_document
from tests.support import ServiceProcess, clean_env, console_script, free_port, wait_for_http

TARGET_RATIO = 0.8
TOKEN = "bench-service-token-" + "x" * 32
TEXT_DOCS = 24


def _text_doc(seed: int, paragraphs: int = 6) -> bytes:
    rng = random.Random(seed)
    parts = [f"# Report {seed}"]
    for p in range(paragraphs):
        parts.append(f"## Part {p}")
        parts.append(" ".join(rng.choice(WORDS) for _ in range(140)) + ".")
    return "\n\n".join(parts).encode()


def _noise_png(size: int, seed: int) -> bytes:
    from PIL import Image

    side = int((size / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), random.Random(seed).randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=0)
    return out.getvalue()


def _pdf_with_image(seed: int, image_bytes: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    rng = random.Random(seed)
    for page in range(4):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page {page}. " + " ".join(rng.choice(WORDS) for _ in range(80)))
    pdf.add_page()
    pdf.image(io.BytesIO(_noise_png(image_bytes, seed)), w=150)
    return bytes(pdf.output())


def _docx_with_image(seed: int, image_bytes: int) -> bytes:
    from docx import Document

    document = Document()
    rng = random.Random(seed)
    document.add_heading(f"Memo {seed}", level=1)
    for _ in range(4):
        document.add_paragraph(" ".join(rng.choice(WORDS) for _ in range(80)))
    document.add_picture(io.BytesIO(_noise_png(image_bytes, seed)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _mixed_corpus(total_bytes: int) -> list[tuple[str, bytes]]:
    files: list[tuple[str, bytes]] = []
    size, n = 0, 0
    while size < total_bytes:
        kind = n % 4
        if kind == 0:
            name, data = f"scan-{n}.pdf", _pdf_with_image(n, 6_000_000)
        elif kind == 1:
            name, data = f"memo-{n}.docx", _docx_with_image(n, 5_000_000)
        elif kind == 2:
            body = "".join(
                f"<p>{' '.join(random.Random(n + i).choice(WORDS) for _ in range(60))}</p>"
                for i in range(10)
            )
            script = "<script>" + "x=1;" * 250_000 + "</script>"
            name, data = (
                f"page-{n}.html",
                f"<html><head><title>P{n}</title>{script}</head><body><h1>P{n}</h1>{body}</body></html>".encode(),
            )
        else:
            rows = "\n".join(f"{i},{random.Random(i).choice(WORDS)},{i * 3}" for i in range(300))
            name, data = f"table-{n}.csv", f"id,word,value\n{rows}\n".encode()
        files.append((name, data))
        size += len(data)
        n += 1
    return files


@contextlib.contextmanager
def _show_log_on_error(process: ServiceProcess) -> Iterator[None]:
    try:
        yield
    except Exception:
        print(process.log()[-4000:])
        raise


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


async def _ingest(
    client: httpx.AsyncClient,
    content_url: str,
    headers: dict[str, str],
    slug: str,
    files: list[tuple[str, bytes]],
) -> tuple[float, int]:
    """Upload ``files`` (a few per request) and wait for every job; (seconds, chunks)."""
    started = time.perf_counter()
    job_ids: list[str] = []
    for start in range(0, len(files), 4):
        batch = files[start : start + 4]
        response = await client.post(
            f"{content_url}/api/v1/datasets/{slug}/documents",
            files=[("files", item) for item in batch],
            headers=headers,
        )
        if response.status_code != 202:
            raise RuntimeError(f"upload answered {response.status_code}: {response.text}")
        job_ids += [d["job_id"] for d in response.json()["documents"] if d["job_id"]]
    pending = set(job_ids)
    while pending:
        await asyncio.sleep(0.25)
        for job_id in list(pending):
            job = (await client.get(f"{content_url}/api/v1/jobs/{job_id}", headers=headers)).json()
            if job["state"] in ("succeeded", "failed", "cancelled"):
                if job["state"] != "succeeded":
                    raise RuntimeError(f"job failed: {job}")
                pending.discard(job_id)
    seconds = time.perf_counter() - started
    listed = (
        await client.get(
            f"{content_url}/api/v1/datasets/{slug}/documents",
            params={"limit": 100},
            headers=headers,
        )
    ).json()
    chunks = sum(d["chunk_count"] for d in listed["items"])
    return seconds, chunks


async def _curator(
    client: httpx.AsyncClient, auth_url: str, content_url: str, name: str
) -> tuple[dict[str, str], str]:
    signed = await client.post(
        f"{auth_url}/api/auth/sign-up/email",
        json={
            "email": f"bench-{name}-{os.getpid()}@example.com",
            "password": "correct horse battery staple",
            "name": "Bench",
        },
    )
    if signed.status_code != 200:
        raise RuntimeError(f"sign-up answered {signed.status_code}: {signed.text}")
    client.cookies.clear()  # a cookie would make the next sign-up a browser call (Origin)
    headers = {"Authorization": f"Bearer {signed.headers['set-auth-token']}"}
    granted = await client.post(
        f"{auth_url}/internal/v1/credits/grant",
        json={
            "user_id": signed.json()["user"]["id"],
            "amount": 10_000_000,
            "idempotency_key": f"bench-{name}",
            "reason": "bench",
        },
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    granted.raise_for_status()
    made = await client.post(
        f"{content_url}/api/v1/datasets", json={"name": f"Bench {name}"}, headers=headers
    )
    made.raise_for_status()
    return headers, made.json()["slug"]


def _raw_embedder_rate(texts: list[bytes]) -> tuple[float, int]:
    chunks = []
    for data in texts:
        chunks += [c.text for c in chunk_document(parse_document(data, "markdown"))]
    embedder = MiniLMEmbedder(intra_op_threads=2)
    embedder.embed_documents(chunks[:4])  # load the model outside the timing
    started = time.perf_counter()
    for start in range(0, len(chunks), 32):
        embedder.embed_documents(chunks[start : start + 32])
    return len(chunks) / (time.perf_counter() - started), len(chunks)


async def run(mixed_megabytes: int = 100) -> dict[str, Any]:
    texts = [_text_doc(seed) for seed in range(TEXT_DOCS)]
    with tempfile.TemporaryDirectory(prefix="fltr-bench-") as tmp:
        var = Path(tmp)
        auth_port, content_port = free_port(), free_port()
        auth_url, content_url = f"http://127.0.0.1:{auth_port}", f"http://127.0.0.1:{content_port}"
        common = {"VAR_DIR": str(var), "INTERNAL_SERVICE_TOKEN": TOKEN, "LOG_LEVEL": "WARNING"}
        auth_env = clean_env(**common, SIGN_IN_RATE_LIMIT_PER_MINUTE="100000")
        content_env = clean_env(
            **common, AUTH_SERVICE_URL=auth_url, USER_RATE_LIMIT_PER_MINUTE="100000"
        )
        for script, env in (("fltr-auth", auth_env), ("fltr-content", content_env)):
            await asyncio.to_thread(
                subprocess.run, [console_script(script), "db", "upgrade"], env=env, check=True
            )
        auth = ServiceProcess(
            [console_script("fltr-auth"), "serve", "--port", str(auth_port)],
            auth_env,
            var / "auth.log",
        )
        content = ServiceProcess(
            [console_script("fltr-content"), "serve", "--port", str(content_port)],
            content_env,
            var / "content.log",
        )
        with auth, content, _show_log_on_error(content):
            wait_for_http(f"{auth_url}/health", proc=auth)
            wait_for_http(f"{content_url}/health", proc=content, timeout=60)
            async with httpx.AsyncClient(timeout=300) as client:
                headers, slug = await _curator(client, auth_url, content_url, "throughput")
                # warm the service's model and Milvus with one document outside the timing
                _, warm_chunks = await _ingest(
                    client, content_url, headers, slug, [("warm.md", _text_doc(999, 1))]
                )
                seconds, chunks = await _ingest(
                    client,
                    content_url,
                    headers,
                    slug,
                    [(f"r{i}.md", t) for i, t in enumerate(texts)],
                )
                chunks -= warm_chunks  # the listing counts the warm-up document too
                pipeline_rate = chunks / seconds
                raw_rate, raw_chunks = await asyncio.to_thread(_raw_embedder_rate, texts)

                corpus = await asyncio.to_thread(_mixed_corpus, mixed_megabytes * 1_000_000)
                corpus_bytes = sum(len(d) for _, d in corpus)
                headers2, slug2 = await _curator(client, auth_url, content_url, "memory")
                assert content.proc is not None
                before_mb = _peak_rss_mb(content.proc.pid)
                mixed_seconds, mixed_chunks = await _ingest(
                    client, content_url, headers2, slug2, corpus
                )
                peak_mb = _peak_rss_mb(content.proc.pid)
                milvus_mb = max(
                    (_peak_rss_mb(pid) for pid in _children(content.proc.pid)), default=0.0
                )
    ratio = pipeline_rate / raw_rate
    return {
        "pipeline_chunks_per_second": round(pipeline_rate, 1),
        "raw_embedder_chunks_per_second": round(raw_rate, 1),
        "chunks": chunks,
        "raw_chunks": raw_chunks,
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "mixed_corpus_mb": round(corpus_bytes / 1e6, 1),
        "mixed_files": len(corpus),
        "mixed_chunks": mixed_chunks,
        "mixed_seconds": round(mixed_seconds, 1),
        "content_peak_rss_mb_before_mixed": round(before_mb, 1),
        "content_peak_rss_mb": round(peak_mb, 1),
        "milvus_lite_peak_rss_mb": round(milvus_mb, 1),
        "meets_target": ratio >= TARGET_RATIO,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(asyncio.run(run()), indent=2))
