package metrics

import (
	"strings"
	"testing"
)

func TestExposition(t *testing.T) {
	r := NewRegistry()
	calls := r.Histogram("memos_tool_call_duration_seconds", "Tool call latency.", []float64{0.01, 0.1, 1}, "tool", "outcome")
	errs := r.Counter("memos_errors_total", "Failed calls.", "surface", "name")
	r.GaugeFunc("memos_memories", "Memories stored.", func() (float64, bool) { return 42, true })
	r.GaugeFunc("memos_queue_depth", "Tasks waiting.", func() (float64, bool) { return 0, false })

	calls.Observe(0.005, "search_memory", "ok")
	calls.Observe(0.05, "search_memory", "ok")
	calls.Observe(5, "search_memory", "ok")
	calls.Observe(0.1, "add_message", "error") // a bound is inclusive: le="0.1"
	errs.Inc("tool", `say "hi"`)
	errs.Add(2, "tool", `say "hi"`)

	var b strings.Builder
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"# TYPE memos_tool_call_duration_seconds histogram\n",
		`memos_tool_call_duration_seconds_bucket{tool="search_memory",outcome="ok",le="0.01"} 1` + "\n",
		`memos_tool_call_duration_seconds_bucket{tool="search_memory",outcome="ok",le="0.1"} 2` + "\n",
		`memos_tool_call_duration_seconds_bucket{tool="search_memory",outcome="ok",le="1"} 2` + "\n",
		`memos_tool_call_duration_seconds_bucket{tool="search_memory",outcome="ok",le="+Inf"} 3` + "\n",
		`memos_tool_call_duration_seconds_sum{tool="search_memory",outcome="ok"} 5.055` + "\n",
		`memos_tool_call_duration_seconds_count{tool="search_memory",outcome="ok"} 3` + "\n",
		`memos_tool_call_duration_seconds_bucket{tool="add_message",outcome="error",le="0.1"} 1` + "\n",
		`memos_errors_total{surface="tool",name="say \"hi\""} 3` + "\n",
		"# TYPE memos_memories gauge\nmemos_memories 42\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("exposition lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "memos_queue_depth") {
		t.Errorf("an unavailable gauge was written:\n%s", got)
	}
}
