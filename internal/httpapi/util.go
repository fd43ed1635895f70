package httpapi

import (
	"strings"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
)

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

var at0 time.Time

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// parseOptionalTime parses a time that may be empty; nil when empty.
func parseOptionalTime(field, s string) (*time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	t, err := memstore.ParseTime(field, s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// withSource records MemOS's deprecated "source" field as info.source.
func withSource(info map[string]string, source string) map[string]string {
	if source == "" {
		return info
	}
	out := make(map[string]string, len(info)+1)
	for k, v := range info {
		out[k] = v
	}
	out["source"] = source
	return out
}
