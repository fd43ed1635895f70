package memstore

import (
	"strings"
	"testing"
	"time"
)

func TestWindows(t *testing.T) {
	msg := func(role string, tokens int) Message {
		return Message{Role: role, Content: strings.Repeat("abcd", tokens)}
	}
	tests := []struct {
		name   string
		msgs   []Message
		budget int
		want   []int // messages per window
	}{
		{"one short turn", []Message{msg("user", 10), msg("assistant", 10)}, 100, []int{2}},
		{"cut with one message of overlap", []Message{msg("user", 40), msg("assistant", 40), msg("user", 40), msg("assistant", 40)}, 100, []int{2, 2, 2}},
		{"an oversized message stands alone", []Message{msg("user", 10), msg("user", 500), msg("user", 10)}, 100, []int{1, 1, 1}},
		{"exactly the budget", []Message{msg("user", 50), msg("user", 50)}, 100, []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := windows(tt.msgs, tt.budget)
			var got []int
			for _, w := range ws {
				got = append(got, len(w.messages))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("windows %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("windows %v, want %v", got, tt.want)
				}
			}
			// The last message always ends the last window: nothing is dropped.
			last := ws[len(ws)-1].messages
			if last[len(last)-1].Content != tt.msgs[len(tt.msgs)-1].Content {
				t.Fatal("the last message is missing")
			}
		})
	}
	if got := estimateTokens("我喜欢苹果 and more"); got != 5+3 {
		t.Fatalf("estimateTokens = %d, want 8", got)
	}
}

func TestSplitThinking(t *testing.T) {
	tests := []struct{ in, answer, reasoning string }{
		{"plain answer", "plain answer", ""},
		{"<think>because</think>\nanswer", "answer", "because"},
		{"reasoning without an opening tag</think>answer", "answer", "reasoning without an opening tag"},
		{"<think>unterminated", "<think>unterminated", ""},
	}
	for _, tt := range tests {
		a, r := splitThinking(tt.in)
		if a != tt.answer || r != tt.reasoning {
			t.Errorf("splitThinking(%q) = %q, %q; want %q, %q", tt.in, a, r, tt.answer, tt.reasoning)
		}
	}
}

func TestCharSimilarity(t *testing.T) {
	if s := charSimilarity("用户喜欢吃苹果", "用户喜欢吃苹果"); s < 0.999 {
		t.Fatalf("identical texts score %v", s)
	}
	near := charSimilarity("用户喜欢吃苹果", "用户很喜欢吃苹果")
	far := charSimilarity("用户喜欢吃苹果", "今天天气很好")
	if !(near > 0.8 && far < 0.3 && near > far) {
		t.Fatalf("near %v far %v", near, far)
	}
	if charSimilarity("", "x") != 0 {
		t.Fatal("empty text must score 0")
	}
}

func TestDedupMMRCapsAndRepeats(t *testing.T) {
	vec := func(x, y float32) []float32 { return []float32{x, y} }
	hit := func(id, text string, v []float32, pref bool, rel float64) ranked {
		m := Memory{ID: id, Content: text, Embedding: v}
		if pref {
			m.Kind, m.Preference = KindPreference, text
		}
		return ranked{hit: SearchHit{Memory: m, Score: rel}, relevance: rel, pref: pref}
	}
	cands := []ranked{
		hit("a", "user likes apples", vec(1, 0), false, 0.9),
		hit("a2", "user likes apples", vec(1, 0), false, 0.89),     // exact repeat
		hit("a3", "user likes apples!", vec(1, 0.01), false, 0.88), // near repeat: cosine and chars both high
		hit("b", "user plays tennis", vec(0, 1), false, 0.5),
		hit("p", "likes tea", vec(0.7, 0.7), true, 0.6),
		hit("q", "likes coffee", vec(0.6, 0.8), true, 0.55),
	}
	facts, prefs := dedupMMR(cands, 2, 1)
	if len(facts) != 2 || facts[0].hit.ID != "a" || facts[1].hit.ID != "b" {
		t.Fatalf("facts %v", ids(facts))
	}
	if len(prefs) != 1 || prefs[0].hit.ID != "p" {
		t.Fatalf("prefs %v", ids(prefs))
	}
}

func ids(rs []ranked) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.hit.ID)
	}
	return out
}

func TestParseTime(t *testing.T) {
	want := time.Date(2025, 12, 2, 10, 10, 10, 0, time.UTC)
	for _, in := range []string{"2025-12-02 10:10:10", "2025-12-02T10:10:10Z", "2025-12-02T18:10:10+08:00", " 2025-12-02T10:10:10 "} {
		got, err := ParseTime("t", in)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"yesterday", "2025-13-02", "12/02/2025", ""} {
		if _, err := ParseTime("chat_time", in); err == nil || !strings.HasPrefix(err.Error(), "chat_time: ") {
			t.Errorf("ParseTime(%q) err = %v, want an error naming chat_time", in, err)
		}
	}
}

func TestKeyedMutexFreesLocks(t *testing.T) {
	var k keyedMutex
	unlock := k.lock("a")
	unlockB := k.lock("b")
	unlock()
	unlockB()
	if len(k.locks) != 0 {
		t.Fatalf("%d locks left after unlocking", len(k.locks))
	}
}

func TestParseExtractionIsDefensive(t *testing.T) {
	tests := []struct {
		name          string
		in            string
		facts, prefs  int
		dropped       int
		wantErrSubstr string
	}{
		{"plain", `{"memory_list":[{"key":"k","memory_type":"UserMemory","value":"v","tags":["a"]}],"explicit_preferences":[],"implicit_preferences":[],"summary":"s"}`, 1, 0, 0, ""},
		{"think and fences", "<think>hmm</think>\n```json\n{\"memory list\":[{\"key\":\"k\",\"value\":\"v\"}]}\n```", 1, 0, 0, ""},
		{"text around", `Here you go: {"memory_list":[],"explicit_preferences":[{"preference":"likes tea","topic":"drink"}]} hope it helps`, 0, 1, 0, ""},
		{"unknown memory type becomes LongTermMemory", `{"memory_list":[{"value":"v","memory_type":"Gossip"}]}`, 1, 0, 0, ""},
		{"entries without text are dropped", `{"memory_list":[{"key":"k"},{"value":""}],"implicit_preferences":[{"topic":"x"}]}`, 0, 0, 3, ""},
		{"garbage", `F@hbAMQ3g;|O(:^$`, 0, 0, 0, "no JSON object"},
		{"not an object", `["a"]`, 0, 0, 0, "no JSON object"},
		{"invalid JSON", `{"memory_list": [}`, 0, 0, 0, "not valid JSON"},
		{"list of strings", `{"memory_list": ["a"]}`, 0, 0, 0, "not a list of objects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := parseExtraction(tt.in)
			if tt.wantErrSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrSubstr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErrSubstr)
				}
				return
			}
			if err != nil || len(ex.facts) != tt.facts || len(ex.prefs) != tt.prefs || ex.dropped != tt.dropped {
				t.Fatalf("got %+v, %v", ex, err)
			}
			for _, f := range ex.facts {
				if f.memoryType != UserMemory && f.memoryType != LongTermMemory {
					t.Fatalf("memory type %q", f.memoryType)
				}
			}
		})
	}
}
