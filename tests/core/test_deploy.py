"""docker-compose.yml as an operator runs it: `docker compose up -d --scale web=3` must work
and every replica must start on a migrated schema. (No Docker on the CI machine: the file is
read as Compose reads it.)"""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_stack_has_a_proxy_before_web_and_the_lockout_counts_it():
    assert {"proxy", "postgres", "redis", "web", "worker", "beat"} <= set(SERVICES)
    assert {p.split(":")[-1] for p in SERVICES["proxy"]["ports"]} == {"80", "443"}
    assert SERVICES["web"]["environment"]["AXES_PROXY_COUNT"] == "1"


def test_web_and_worker_scale_web_publishes_no_port_of_its_own():
    for name in ("web", "worker"):
        assert "ports" not in SERVICES[name]
        assert "container_name" not in SERVICES[name]


def test_web_worker_and_beat_start_after_the_migrations():
    assert "migrate" in SERVICES["migrate"]["command"]
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "migrate" not in " ".join(SERVICES["web"]["command"])  # only the one-shot migrates
