"""The deployment files under docker/, loaded, and the metric names their queries use."""

import json
import re
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"

# PromQL words that look like metric names but are not.
_PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
    "le",
}
# Series Prometheus makes itself; no process exposes them.
SYNTHETIC = {"up", "ALERTS", "ALERTS_FOR_STATE"}


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def alert_rules() -> list[dict]:
    groups = yaml.safe_load((DOCKER / "prometheus" / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboards() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((DOCKER / "grafana" / "dashboards").glob("*.json"))]


def dashboard_queries() -> list[str]:
    return [target["expr"] for board in dashboards() for panel in board["panels"] for target in panel["targets"]]


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions, labels or keywords."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings (label values, regexes)
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges and subqueries
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)  # label lists
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        rest = expr[match.end() :].lstrip()
        word = match.group()
        if rest.startswith("(") or word.lower() in _PROMQL_WORDS:
            continue  # a function call or a keyword
        names.add(word)
    return names


def used_metric_names() -> set[str]:
    exprs = [rule["expr"] for rule in alert_rules()] + dashboard_queries()
    return set().union(*(metric_names(expr) for expr in exprs)) - SYNTHETIC


def metric_names_by_job() -> dict[str, set[str]]:
    """Names the queries read with an exact job="..." matcher: that job's processes must export them."""
    found: dict[str, set[str]] = {}
    exprs = [rule["expr"] for rule in alert_rules()] + dashboard_queries()
    for expr in exprs:
        for name, matchers in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}", expr):
            job = re.search(r'\bjob="([^"]+)"', matchers)
            if job and name not in SYNTHETIC:
                found.setdefault(job.group(1), set()).add(name)
    return found
