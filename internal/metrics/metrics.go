// Package metrics keeps counters, histograms and gauges and writes them in the Prometheus text
// exposition format (version 0.0.4). It is the small part of a metrics library memos-mcp needs:
// labelled histograms and counters, and gauges read at scrape time.
package metrics

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// DefaultBuckets are latency buckets in seconds, from 0.5 ms to 60 s.
var DefaultBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Registry holds the metrics of one process. The zero value is not usable; use NewRegistry.
type Registry struct {
	mu      sync.Mutex
	metrics []metric
}

type metric interface {
	name() string
	write(w io.Writer) error
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(m metric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.metrics = append(r.metrics, m)
}

// Write writes every metric, in registration order.
func (r *Registry) Write(w io.Writer) error {
	r.mu.Lock()
	ms := slices.Clone(r.metrics)
	r.mu.Unlock()
	for _, m := range ms {
		if err := m.write(w); err != nil {
			return fmt.Errorf("write metric %s: %w", m.name(), err)
		}
	}
	return nil
}

// labelSet renders label pairs: {a="x",b="y"}.
func labelSet(names, values []string, extra ...string) string {
	if len(names) == 0 && len(extra) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escape(values[i]))
		b.WriteByte('"')
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(extra[i])
		b.WriteString(`="`)
		b.WriteString(extra[i+1])
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func number(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func header(w io.Writer, name, help, typ string) error {
	_, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, escape(help), name, typ)
	return err
}

// key joins label values into a map key.
func key(values []string) string { return strings.Join(values, "\xff") }

// CounterVec is a counter with labels.
type CounterVec struct {
	n, help string
	labels  []string
	mu      sync.Mutex
	values  map[string]*counterValue
}

type counterValue struct {
	labels []string
	v      float64
}

// Counter registers a counter.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{n: name, help: help, labels: labels, values: map[string]*counterValue{}}
	r.add(c)
	return c
}

// Add adds delta for the label values (as many as the counter has labels).
func (c *CounterVec) Add(delta float64, labelValues ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := key(labelValues)
	v := c.values[k]
	if v == nil {
		v = &counterValue{labels: slices.Clone(labelValues)}
		c.values[k] = v
	}
	v.v += delta
}

// Inc adds one.
func (c *CounterVec) Inc(labelValues ...string) { c.Add(1, labelValues...) }

func (c *CounterVec) name() string { return c.n }

func (c *CounterVec) write(w io.Writer) error {
	if err := header(w, c.n, c.help, "counter"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range sortedKeys(c.values) {
		v := c.values[k]
		if _, err := fmt.Fprintf(w, "%s%s %s\n", c.n, labelSet(c.labels, v.labels), number(v.v)); err != nil {
			return err
		}
	}
	return nil
}

// HistogramVec is a histogram with labels.
type HistogramVec struct {
	n, help string
	labels  []string
	buckets []float64
	mu      sync.Mutex
	values  map[string]*histogramValue
}

type histogramValue struct {
	labels []string
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

// Histogram registers a histogram with the given upper bounds (sorted; +Inf is implied).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	h := &HistogramVec{n: name, help: help, labels: labels, buckets: slices.Clone(buckets), values: map[string]*histogramValue{}}
	slices.Sort(h.buckets)
	r.add(h)
	return h
}

// Observe records one value for the label values.
func (h *HistogramVec) Observe(v float64, labelValues ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := key(labelValues)
	hv := h.values[k]
	if hv == nil {
		hv = &histogramValue{labels: slices.Clone(labelValues), counts: make([]uint64, len(h.buckets))}
		h.values[k] = hv
	}
	if i, _ := slices.BinarySearch(h.buckets, v); i < len(h.buckets) {
		hv.counts[i]++
	}
	hv.sum += v
	hv.count++
}

func (h *HistogramVec) name() string { return h.n }

func (h *HistogramVec) write(w io.Writer) error {
	if err := header(w, h.n, h.help, "histogram"); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range sortedKeys(h.values) {
		hv := h.values[k]
		var cum uint64
		for i, le := range h.buckets {
			cum += hv.counts[i]
			if _, err := fmt.Fprintf(w, "%s_bucket%s %d\n", h.n, labelSet(h.labels, hv.labels, "le", number(le)), cum); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "%s_bucket%s %d\n%s_sum%s %s\n%s_count%s %d\n",
			h.n, labelSet(h.labels, hv.labels, "le", "+Inf"), hv.count,
			h.n, labelSet(h.labels, hv.labels), number(hv.sum),
			h.n, labelSet(h.labels, hv.labels), hv.count); err != nil {
			return err
		}
	}
	return nil
}

// gaugeFunc is a gauge read when metrics are written.
type gaugeFunc struct {
	n, help string
	read    func() (float64, bool)
}

// GaugeFunc registers a gauge whose value read returns at scrape time; when read reports false,
// the gauge is left out of that scrape (its source is unavailable).
func (r *Registry) GaugeFunc(name, help string, read func() (float64, bool)) {
	r.add(&gaugeFunc{n: name, help: help, read: read})
}

func (g *gaugeFunc) name() string { return g.n }

func (g *gaugeFunc) write(w io.Writer) error {
	v, ok := g.read()
	if !ok {
		return nil
	}
	if err := header(w, g.n, g.help, "gauge"); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s %s\n", g.n, number(v))
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
