package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus metrics, on a registry of its own.
type metrics struct {
	reg         *prometheus.Registry
	decisions   *prometheus.CounterVec
	outcomes    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	cache       *prometheus.CounterVec
	registryErr prometheus.Counter
	verifyErr   prometheus.Counter
	inflight    prometheus.Gauge
	reloads     *prometheus.CounterVec
	badRequests *prometheus.CounterVec
	noDecision  *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopolicy_admission_findings_total", Help: "Findings in admission decisions, by policy and level.",
		}, []string{"policy", "level"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopolicy_admission_decisions_total", Help: "Admission responses by endpoint and outcome (allowed, denied, error).",
		}, []string{"endpoint", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gopolicy_admission_request_duration_seconds",
			Help:    "Time to answer a request, by endpoint.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopolicy_admission_cache_total", Help: "Image verdict cache lookups by result (hit, miss).",
		}, []string{"result"}),
		registryErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gopolicy_admission_registry_errors_total", Help: "Registry requests that failed (outages, not missing images).",
		}),
		verifyErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gopolicy_admission_verification_errors_total", Help: "Attestations found that did not verify.",
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gopolicy_admission_inflight_requests", Help: "Requests being answered.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopolicy_admission_reloads_total", Help: "Pipeline reloads by result.",
		}, []string{"result"}),
		badRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopolicy_admission_bad_requests_total", Help: "Requests refused as malformed, by endpoint.",
		}, []string{"endpoint"}),
		noDecision: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopolicy_admission_undecided_total", Help: "Responses made without a decision, by failure mode.",
		}, []string{"mode"}),
	}
	m.reg.MustRegister(m.decisions, m.outcomes, m.latency, m.cache, m.registryErr, m.verifyErr, m.inflight, m.reloads, m.badRequests, m.noDecision,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
