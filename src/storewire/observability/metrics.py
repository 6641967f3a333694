"""Prometheus metrics of one node (DESIGN §6), served at ``GET /metrics``.

Nothing on the hot path touches prometheus-client: the gateway, relay, resumer and audit log keep
plain integers, and :class:`NodeCollector` turns them into metric families when Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from storewire.gateway.stats import GatewayStats
from storewire.observability.audit import AuditLog

__all__ = ["NodeCollector", "NodeReadings", "build_registry"]


@dataclass(frozen=True, slots=True)
class NodeReadings:
    """Where the collector reads each figure from (callables: read at scrape time)."""

    gateway: GatewayStats
    active_connections: Callable[[], int]
    relay_published_seq: Callable[[], int]
    resume_outcomes: Mapping[str, int]
    audit: AuditLog


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _labelled(name: str, doc: str, label: str, values: Mapping[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


class NodeCollector(Collector):
    """The node's own metrics, read from :class:`NodeReadings` on each scrape."""

    def __init__(self, readings: NodeReadings) -> None:
        self._r = readings

    def collect(self) -> Iterator[Metric]:
        r, stats = self._r, self._r.gateway
        yield GaugeMetricFamily(
            "storewire_connections_active", "Socket.IO connections open now.", value=r.active_connections()
        )
        yield _counter("storewire_connections_opened", "Connections accepted.", stats.opened)
        yield _labelled(
            "storewire_connections_refused",
            "Connections refused, by connect_error code.",
            "code",
            stats.refused,
        )
        yield _labelled(
            "storewire_joins", "room:join answers: ok or the refusal's code.", "result", stats.joins
        )
        yield _counter(
            "storewire_events_fanned_out", "Sequenced events fanned out by this node.", stats.events
        )
        yield _counter(
            "storewire_deliveries",
            "Envelopes queued to sockets (one event to 100 sockets is 100).",
            stats.deliveries,
        )
        yield GaugeMetricFamily(
            "storewire_relay_published_seq",
            "The last seq the relay fanned out.",
            value=r.relay_published_seq(),
        )
        yield _labelled(
            "storewire_resumes",
            "sync:recovered answers: recovered, or why not (no_position, expired, ...).",
            "result",
            r.resume_outcomes,
        )
        yield _counter(
            "storewire_audit_written", "Audit entries written by the background writer.", r.audit.written
        )
        yield _counter(
            "storewire_audit_dropped", "Audit entries dropped while the writer was flooded.", r.audit.dropped
        )


def build_registry(readings: NodeReadings) -> CollectorRegistry:
    """A registry of this node's metrics and its process's (CPU, memory, file descriptors)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(NodeCollector(readings))
    ProcessCollector(registry=registry)
    return registry
