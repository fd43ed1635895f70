package builtin

import (
	"testing"
	"unicode/utf8"
)

func TestTopicOf(t *testing.T) {
	cases := []struct {
		object, want string
	}{
		// English plurals and case.
		{"strawberries", "fruit"},
		{"cherries", "fruit"},
		{"Apples", "fruit"},
		{"peaches", "fruit"},
		{"mangoes", "fruit"},
		{"  Tea  ", "drink"},
		{"blues", "music"}, // the word itself wins over its "singular" "blue" (color)
		// Two-word entries, alone and inside longer objects.
		{"ice cream", "food"},
		{"chocolate ice cream", "food"},
		{"vs code", "editor"},
		{"hip hop", "music"},
		{"programming language", "programming language"},
		// Tokens with symbols.
		{"c++", "programming language"},
		{"C#", "programming language"},
		{"k-pop", "music"},
		{"sci-fi", "film"},
		// Multi-word objects find their topic word.
		{"horror movies", "film"},
		{"coffee black", "drink"},
		{"spicy food", "food"},
		// Chinese: the longest contained entry wins.
		{"山竹", "fruit"},   // not travel "山"
		{"古典音乐", "music"}, // not just "音乐"
		{"爬山", "sport"},   // not travel "山"
		{"葡萄酒", "drink"},  // not fruit "葡萄"
		{"一只猫", "pet"},    // contained entry
		{"爵士乐", "music"},  // "爵士" inside a longer word
		{"吃苹果", "fruit"},  // leading activity verb
		// Unknown objects are their own topic, lower-cased and trimmed.
		{"Unknown Thing", "unknown thing"},
		{" Rainy Days ", "rainy days"},
		{"下雨天", "下雨天"},
		{"berries", "berries"},
		{"", ""},
		{"   ", ""},
	}
	for _, tc := range cases {
		t.Run(tc.object, func(t *testing.T) {
			if got := topicOf(tc.object); got != tc.want {
				t.Errorf("topicOf(%q) = %q, want %q", tc.object, got, tc.want)
			}
		})
	}
}

// TestTopicLexiconSelfConsistent checks every lexicon entry is classified under its own topic
// and appears in only one topic, so the lexicon has no shadowed or contradictory entries.
func TestTopicLexiconSelfConsistent(t *testing.T) {
	owner := make(map[string]string)
	for topic, words := range topics {
		for _, w := range words {
			if prev, dup := owner[w]; dup && prev != topic {
				t.Errorf("%q is listed under both %q and %q", w, prev, topic)
			}
			owner[w] = topic
			if got := topicOf(w); got != topic {
				t.Errorf("topicOf(%q) = %q, want its own topic %q", w, got, topic)
			}
		}
	}
}

func TestTopicWordsLongestFirst(t *testing.T) {
	for i := 1; i < len(topicWords); i++ {
		if len(topicWords[i-1]) < len(topicWords[i]) {
			t.Fatalf("topicWords[%d] = %q is shorter than topicWords[%d] = %q; longest must come first",
				i-1, topicWords[i-1], i, topicWords[i])
		}
	}
	n := 0
	for _, ws := range topics {
		n += len(ws)
	}
	if len(topicWords) != n {
		t.Errorf("len(topicWords) = %d, want %d (every lexicon entry)", len(topicWords), n)
	}
	for _, w := range topicWords {
		if !utf8.ValidString(w) || w == "" {
			t.Errorf("bad lexicon entry %q", w)
		}
	}
}

func TestSingulars(t *testing.T) {
	cases := []struct {
		word string
		want []string
	}{
		{"strawberries", []string{"strawberries", "strawberry", "strawberri", "strawberrie"}},
		{"peaches", []string{"peaches", "peach", "peache"}},
		{"apples", []string{"apples", "appl", "apple"}},
		{"tea", []string{"tea"}},
	}
	for _, tc := range cases {
		got := singulars(tc.word)
		if len(got) != len(tc.want) {
			t.Errorf("singulars(%q) = %q, want %q", tc.word, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("singulars(%q) = %q, want %q", tc.word, got, tc.want)
				break
			}
		}
	}
}
