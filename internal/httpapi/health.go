package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"time"
)

// Health is what /healthz reports. The server is unhealthy (503) when its store is not reachable;
// a model server that is down degrades it (200, status "degraded"): listing and deleting still work.
type Health struct {
	Status  string        `json:"status"` // ok, degraded or unavailable
	Version string        `json:"version"`
	Store   StoreHealth   `json:"store"`
	Ollama  *OllamaHealth `json:"ollama,omitempty"`
	Queue   *QueueHealth  `json:"queue,omitempty"`
}

// StoreHealth describes the store.
type StoreHealth struct {
	Backend  string `json:"backend"`
	OK       bool   `json:"ok"`
	Memories int    `json:"memories"`
	Error    string `json:"error,omitempty"`
}

// OllamaHealth describes the model server, when one is used.
type OllamaHealth struct {
	URL     string `json:"url"`
	OK      bool   `json:"ok"`
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
}

// QueueHealth describes the background queue.
type QueueHealth struct {
	Pending int    `json:"pending"`
	Limit   int    `json:"limit"`
	Workers int    `json:"workers"`
	Error   string `json:"error,omitempty"`
}

// healthTimeout bounds the dependency checks of one /healthz.
const healthTimeout = 5 * time.Second

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Health == nil {
		writeJSON(w, http.StatusOK, Health{Status: "ok", Version: h.cfg.Version})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	report := h.cfg.Health(ctx)
	report.Version = h.cfg.Version
	report.Status = "ok"
	status := http.StatusOK
	switch {
	case !report.Store.OK:
		report.Status, status = "unavailable", http.StatusServiceUnavailable
	case report.Ollama != nil && !report.Ollama.OK, report.Queue != nil && report.Queue.Error != "":
		report.Status = "degraded"
	}
	writeJSON(w, status, report)
}

func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := h.m.Registry.Write(&b); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}
