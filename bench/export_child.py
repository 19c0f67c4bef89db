"""One export request in a fresh process, so its peak memory is the export's own.

    python -m bench.export_child --user bench --url "/enterprises/export/?…" --out FILE

Prints one JSON line: status, content type, seconds (request → last byte), bytes, and the
process's peak RSS (VmHWM) before and after the measured request, in MB.
"""

import argparse
import json
import os
import sys
import time
from typing import Any


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def fetch(client, url: str) -> tuple[Any, bytes]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--warmup-url", help="a tiny request first, so imports are not measured")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "htportal.settings")
    import django

    django.setup()
    from django.test import Client

    from core.models import User

    client = Client()
    client.force_login(User.objects.get(username=args.user))
    if args.warmup_url:
        fetch(client, args.warmup_url)
    baseline = peak_rss_mb()

    started = time.perf_counter()
    response, body = fetch(client, args.url)
    seconds = time.perf_counter() - started

    with open(args.out, "wb") as out:
        out.write(body)
    result = {
        "status": response.status_code,
        "content_type": response.get("Content-Type", ""),
        "seconds": seconds,
        "bytes": len(body),
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
