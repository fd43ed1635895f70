package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/tools"
)

// item is a memory as MemOS's product API returns it: id, text and everything else in metadata.
type item struct {
	ID       string         `json:"id"`
	Memory   string         `json:"memory"`
	RefID    string         `json:"ref_id"`
	Metadata map[string]any `json:"metadata"`
}

// scores are a search hit's scores; nil for listings.
type scores struct{ relativity, relevance float64 }

func productItem(m memstore.Memory, expired bool, s *scores) item {
	b, _ := json.Marshal(m)
	meta := map[string]any{}
	_ = json.Unmarshal(b, &meta)
	meta["session_id"] = m.ConversationID
	meta["expired"] = expired
	meta["embedding"] = []float32{}
	if s != nil {
		meta["relativity"], meta["relevance"] = s.relativity, s.relevance
	}
	return item{ID: m.ID, Memory: m.Content, RefID: "[" + strings.SplitN(m.ID, "-", 2)[0] + "]", Metadata: meta}
}

// cubeGroup is MemOS's per-cube list of memories.
type cubeGroup struct {
	CubeID     string `json:"cube_id"`
	Memories   []item `json:"memories"`
	TotalNodes *int   `json:"total_nodes,omitempty"`
}

// groupHits groups search hits by cube, in order of first appearance; fallback names the group
// when there are no hits.
func groupHits(hits []memstore.SearchHit, fallback string, withTotal bool) []cubeGroup {
	var groups []cubeGroup
	index := map[string]int{}
	for _, h := range hits {
		i, ok := index[h.CubeID]
		if !ok {
			i = len(groups)
			index[h.CubeID] = i
			groups = append(groups, cubeGroup{CubeID: h.CubeID, Memories: []item{}})
		}
		groups[i].Memories = append(groups[i].Memories, productItem(h.Memory, false, &scores{h.Score, h.Relevance}))
	}
	if len(groups) == 0 {
		groups = []cubeGroup{{CubeID: fallback, Memories: []item{}}}
	}
	if withTotal {
		for i := range groups {
			n := len(groups[i].Memories)
			groups[i].TotalNodes = &n
		}
	}
	return groups
}

// prefString renders the preferences for a prompt, as MemOS's pref_string does.
func prefString(prefs []memstore.SearchHit) (text, note string) {
	var explicit, implicit []string
	for _, p := range prefs {
		if p.PreferenceType == memstore.ImplicitPreference {
			implicit = append(implicit, p.Preference)
		} else {
			explicit = append(explicit, p.Preference)
		}
	}
	var b strings.Builder
	for _, sec := range []struct {
		title string
		items []string
	}{{"Explicit Preference", explicit}, {"Implicit Preference", implicit}} {
		if len(sec.items) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(sec.title + ":\n")
		for i, s := range sec.items {
			fmt.Fprintf(&b, "%d. %s\n", i+1, s)
		}
	}
	if b.Len() == 0 {
		return "", ""
	}
	return b.String(), "In your answer, do not violate any of the user's explicit or implicit preferences above."
}

// restMessage is a chat message as MemOS clients send it.
type restMessage struct {
	Role       string `json:"role"`
	Content    any    `json:"content"`
	ChatTime   string `json:"chat_time,omitempty"`
	MessageID  string `json:"message_id,omitempty"`
	Name       string `json:"name,omitempty"`
	ToolCallID string `json:"tool_call_id,omitempty"`
	ToolCalls  any    `json:"tool_calls,omitempty"`
}

// toMessages converts a "messages" value: a string (one user message) or a list of messages whose
// content is a string or a list of parts ({"type": "text", "text": …}).
func toMessages(field string, v any) ([]memstore.Message, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []memstore.Message{{Role: memstore.RoleUser, Content: v}}, nil
	case []any:
		raw, _ := json.Marshal(v)
		var wrapped struct {
			M []restMessage `json:"m"`
		}
		if err := tools.Decode([]byte(`{"m":`+string(raw)+`}`), &wrapped); err != nil {
			return nil, reField(err, "m", field)
		}
		in := wrapped.M
		out := make([]memstore.Message, len(in))
		for i, m := range in {
			text, err := contentText(fmt.Sprintf("%s[%d].content", field, i), m.Content)
			if err != nil {
				return nil, err
			}
			out[i] = memstore.Message{Role: m.Role, Content: text}
			if strings.TrimSpace(m.ChatTime) != "" {
				t, err := memstore.ParseTime(fmt.Sprintf("%s[%d].chat_time", field, i), m.ChatTime)
				if err != nil {
					return nil, err
				}
				out[i].ChatTime = t
			}
		}
		return out, nil
	}
	return nil, memstore.Invalid(field, "must be a string or a list of messages", `send [{"role": "user", "content": "…"}, …]`)
}

func contentText(field string, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []any:
		var parts []string
		for _, p := range v {
			if m, ok := p.(map[string]any); ok {
				if t, ok := m["text"].(string); ok {
					parts = append(parts, t)
					continue
				}
			}
			return "", memstore.Invalid(field, "has a part that is not text", `send text parts: {"type": "text", "text": "…"}`)
		}
		return strings.Join(parts, "\n"), nil
	case nil:
		return "", nil
	}
	return "", memstore.Invalid(field, "must be a string", "send the message text")
}

// reField renames the placeholder field of a nested decode in an error.
func reField(err error, from, to string) error {
	if fe, ok := err.(*memstore.FieldError); ok {
		c := *fe
		c.Field = to + strings.TrimPrefix(c.Field, from)
		return &c
	}
	return err
}

// cloudItem is a fact as the MemOS cloud API returns it.
type cloudItem struct {
	ID             string            `json:"id"`
	MemoryKey      string            `json:"memory_key"`
	MemoryValue    string            `json:"memory_value"`
	MemoryType     string            `json:"memory_type"`
	CreateTime     string            `json:"create_time"`
	UpdateTime     string            `json:"update_time"`
	ConversationID string            `json:"conversation_id"`
	Status         string            `json:"status"`
	Confidence     float64           `json:"confidence"`
	Tags           []string          `json:"tags"`
	Relativity     float64           `json:"relativity"`
	Sources        []memstore.Source `json:"sources"`
	Info           map[string]string `json:"info"`
	Expired        bool              `json:"expired"`
	ExpiresAt      string            `json:"expires_at,omitempty"`
}

// cloudPref is a preference as the MemOS cloud API returns it.
type cloudPref struct {
	ID             string  `json:"id"`
	PreferenceType string  `json:"preference_type"`
	Preference     string  `json:"preference"`
	Reasoning      string  `json:"reasoning"`
	CreateTime     string  `json:"create_time"`
	UpdateTime     string  `json:"update_time"`
	ConversationID string  `json:"conversation_id"`
	Status         string  `json:"status"`
	Relativity     float64 `json:"relativity"`
	Expired        bool    `json:"expired"`
}

const cloudTime = "2006-01-02 15:04:05"

func cloudTimeOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(cloudTime)
}

func toCloudItem(m memstore.Memory, expired bool, relativity float64) cloudItem {
	c := cloudItem{ID: m.ID, MemoryKey: m.Key, MemoryValue: m.Content, MemoryType: string(m.MemoryType),
		CreateTime: cloudTimeOf(m.CreatedAt), UpdateTime: cloudTimeOf(m.UpdatedAt), ConversationID: m.ConversationID,
		Status: string(m.Status), Confidence: m.Confidence, Tags: m.Tags, Relativity: relativity, Sources: m.Sources,
		Info: m.Info, Expired: expired}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if c.Sources == nil {
		c.Sources = []memstore.Source{}
	}
	if c.Info == nil {
		c.Info = map[string]string{}
	}
	if m.ExpiresAt != nil {
		c.ExpiresAt = m.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return c
}

func toCloudPref(m memstore.Memory, expired bool, relativity float64) cloudPref {
	return cloudPref{ID: m.ID, PreferenceType: string(m.PreferenceType), Preference: m.Preference, Reasoning: m.Reasoning,
		CreateTime: cloudTimeOf(m.CreatedAt), UpdateTime: cloudTimeOf(m.UpdatedAt), ConversationID: m.ConversationID,
		Status: string(m.Status), Relativity: relativity, Expired: expired}
}
