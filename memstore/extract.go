package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/memos-mcp/memos-mcp/prompts"
)

// Bounds of the extraction schema. They keep a model's answer finite (a model that never stops
// would otherwise fill its context) and are enforced by the server's constrained decoding.
const (
	maxExtractedFacts       = 20
	maxExtractedPreferences = 10
	extractTemperature      = 0.0
)

// extractionSchema is the JSON schema the model's answer must follow (Ollama structured outputs).
var extractionSchema = func() []byte {
	str := func(maxLen int) map[string]any { return map[string]any{"type": "string", "maxLength": maxLen} }
	pref := map[string]any{
		"type": "array", "maxItems": maxExtractedPreferences,
		"items": map[string]any{
			"type": "object",
			"properties": map[string]any{
				"preference": str(300), "context_summary": str(600), "reasoning": str(400), "topic": str(40),
			},
			"required": []string{"preference", "context_summary", "reasoning", "topic"},
		},
	}
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"memory_list": map[string]any{
				"type": "array", "maxItems": maxExtractedFacts,
				"items": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"key":         str(80),
						"memory_type": map[string]any{"type": "string", "enum": []string{string(UserMemory), string(LongTermMemory)}},
						"value":       str(600),
						"tags":        map[string]any{"type": "array", "maxItems": 5, "items": str(30)},
					},
					"required": []string{"key", "memory_type", "value", "tags"},
				},
			},
			"explicit_preferences": pref,
			"implicit_preferences": pref,
			"summary":              str(1200),
		},
		"required": []string{"memory_list", "explicit_preferences", "implicit_preferences", "summary"},
	}
	b, _ := json.Marshal(schema)
	return b
}()

// extracted is what a model's answer yields, after validation.
type extracted struct {
	facts []extractedFact
	prefs []extractedPreference
	// summary becomes the background of every memory of the window.
	summary string
	// dropped counts entries that were present but unusable (e.g. an empty value).
	dropped int
}

type extractedFact struct {
	key, value string
	memoryType MemoryType
	tags       []string
}

type extractedPreference struct {
	kind                                  PreferenceType
	preference, context, reasoning, topic string
}

// fineDrafts asks the model to extract memories from each window. A window whose extraction fails
// (the model is unavailable, or its answer is unusable) is stored in fast mode instead, and a note
// says so: what the user said is never lost.
//
// It also returns the first failure that was the model being unavailable (not its answer being
// unusable): a background refinement retries on that rather than settle for fast mode.
func (c *Core) fineDrafts(ctx context.Context, req AddRequest, now time.Time) ([]draft, []string, error) {
	var out []draft
	var notes []string
	var unavailable error
	for i, w := range windows(req.Messages, WindowTokens) {
		ex, err := c.extract(ctx, w, req.Tags)
		if err != nil {
			if unavailable == nil && (errors.Is(err, ErrUnavailable) || ctx.Err() != nil) {
				unavailable = err
			}
			c.log.Warn().Err(err).Str("user", req.UserID).Int("window", i).Msg("fine extraction failed; storing in fast mode")
			notes = append(notes, fmt.Sprintf("window %d was stored in fast mode because extraction failed: %v", i+1, err))
			out = append(out, c.fastWindowDrafts(req, w, now)...)
			continue
		}
		if ex.dropped > 0 {
			notes = append(notes, fmt.Sprintf("window %d: %d extracted entries were unusable and left out", i+1, ex.dropped))
		}
		if len(ex.facts) == 0 && len(ex.prefs) == 0 {
			notes = append(notes, fmt.Sprintf("window %d: the model found nothing worth remembering", i+1))
		}
		out = append(out, c.extractedDrafts(req, w, ex, now)...)
	}
	return out, notes, unavailable
}

// extract runs one model call over a window and validates the answer.
func (c *Core) extract(ctx context.Context, w window, tags []string) (extracted, error) {
	var convo strings.Builder
	var userText strings.Builder
	for _, m := range w.messages {
		fmt.Fprintf(&convo, "%s [%s]: %s\n", m.Role, m.ChatTime.Format("2006-01-02 15:04 MST"), m.Content)
		if m.Role == RoleUser {
			userText.WriteString(m.Content)
		}
	}
	name := "extract_en.md"
	if isChinese(userText.String()) {
		name = "extract_zh.md"
	}
	prompt, err := prompts.Render(name, map[string]string{"Conversation": strings.TrimRight(convo.String(), "\n"), "Tags": strings.Join(tags, ", ")})
	if err != nil {
		return extracted{}, err
	}
	temp := extractTemperature
	resp, err := c.llm.Chat(ctx, ChatRequestLLM{
		Messages:    []LLMMessage{{Role: RoleUser, Content: prompt}},
		Temperature: &temp,
		Format:      extractionSchema,
	})
	if err != nil {
		return extracted{}, err
	}
	ex, err := parseExtraction(resp.Content)
	if err != nil && resp.DoneReason == "length" {
		return extracted{}, fmt.Errorf("the model's answer was cut off at its length limit (%d tokens) before the JSON ended", resp.OutputTokens)
	}
	return ex, err
}

// parseExtraction reads a model's answer defensively: it tolerates a <think> section, code fences,
// text around the JSON object, MemOS's "memory list" spelling, and entries with missing fields
// (which are dropped and counted). Anything that is not a JSON object is an error.
func parseExtraction(s string) (extracted, error) {
	s, _ = splitThinking(s)
	start, end := strings.Index(s, "{"), strings.LastIndex(s, "}")
	if start < 0 || end < start {
		return extracted{}, fmt.Errorf("the model's answer holds no JSON object (%q)", truncate(strings.TrimSpace(s), 80))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s[start:end+1]), &raw); err != nil {
		return extracted{}, fmt.Errorf("the model's answer is not valid JSON: %v", err)
	}
	pick := func(keys ...string) json.RawMessage {
		for _, k := range keys {
			if v, ok := raw[k]; ok {
				return v
			}
		}
		return nil
	}
	var ex extracted
	var facts []map[string]any
	if v := pick("memory_list", "memory list", "memories", "facts"); v != nil {
		if err := json.Unmarshal(v, &facts); err != nil {
			return extracted{}, fmt.Errorf("the model's memory_list is not a list of objects: %v", err)
		}
	}
	for _, f := range facts {
		fact := extractedFact{key: str(f["key"]), value: str(f["value"]), memoryType: MemoryType(str(f["memory_type"]))}
		if fact.value == "" {
			ex.dropped++
			continue
		}
		if fact.memoryType != UserMemory && fact.memoryType != LongTermMemory {
			fact.memoryType = LongTermMemory
		}
		if tags, ok := f["tags"].([]any); ok {
			for _, t := range tags {
				if tag := str(t); tag != "" && !slices.Contains(fact.tags, tag) && len(fact.tags) < MaxTags {
					fact.tags = append(fact.tags, truncate(tag, MaxTagRunes))
				}
			}
		}
		ex.facts = append(ex.facts, fact)
	}
	for _, kind := range []PreferenceType{ExplicitPreference, ImplicitPreference} {
		var prefs []map[string]any
		if v := pick(string(kind)+"s", string(kind)); v != nil {
			if err := json.Unmarshal(v, &prefs); err != nil {
				return extracted{}, fmt.Errorf("the model's %ss is not a list of objects: %v", kind, err)
			}
		}
		for _, p := range prefs {
			sentence := str(p["preference"])
			if sentence == "" {
				sentence = str(p[string(kind)])
			}
			if sentence == "" {
				ex.dropped++
				continue
			}
			ex.prefs = append(ex.prefs, extractedPreference{kind: kind, preference: sentence,
				context: str(p["context_summary"]), reasoning: str(p["reasoning"]), topic: str(p["topic"])})
		}
	}
	if v := pick("summary"); v != nil {
		_ = json.Unmarshal(v, &ex.summary)
		ex.summary = strings.TrimSpace(ex.summary)
	}
	return ex, nil
}

// str returns v as a trimmed string ("" when it is not a string).
func str(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

// extractedDrafts turns a validated extraction into memories of the window.
func (c *Core) extractedDrafts(req AddRequest, w window, ex extracted, now time.Time) []draft {
	base := Memory{
		UserID: req.UserID, CubeID: req.CubeID, ConversationID: req.ConversationID, Info: req.Info,
		Status: StatusActivated, CreatedAt: now, UpdatedAt: now, ExpiresAt: req.ExpiresAt,
		Background: ex.summary, Sources: sourcesOf("chat", w.messages),
	}
	var out []draft
	for _, f := range ex.facts {
		m := base
		m.Kind, m.MemoryType = KindFact, f.memoryType
		m.Content, m.Key, m.Confidence = f.value, truncate(f.key, 80), 0.99
		m.Tags = append(slices.Clone(f.tags), req.Tags...)
		out = append(out, draft{m: m, embedText: EmbedText(&m)})
	}
	var userText []string
	for _, msg := range w.messages {
		if msg.Role == RoleUser {
			userText = append(userText, msg.Content)
		}
	}
	for _, p := range ex.prefs {
		m := base
		m.Kind, m.MemoryType, m.PreferenceType = KindPreference, PreferenceMemory, p.kind
		m.Preference, m.Content, m.Reasoning = p.preference, p.context, p.reasoning
		if m.Content == "" {
			m.Content = strings.Join(userText, "\n")
		}
		m.Topic, m.Key = p.topic, p.topic
		m.Confidence = 0.9
		m.Tags = slices.Clone(req.Tags)
		out = append(out, draft{m: m, embedText: EmbedText(&m)})
	}
	return out
}

// EmbedText is the text a memory is embedded by: a preference's sentence and its context, or a
// fact's text. Reindexing uses it too, so re-embedded memories match newly added ones.
func EmbedText(m *Memory) string {
	if m.Kind == KindPreference {
		return m.Preference + "\n" + m.Content
	}
	return m.Content
}
