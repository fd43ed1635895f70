package builtin

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// wantPref is the expected form of one memstore.PreferenceStatement.
type wantPref struct {
	sentence string
	object   string
	topic    string
	polarity memstore.Polarity
	clause   string
}

type prefCase struct {
	name string
	text string
	want []wantPref // nil: not a preference
}

// checkPreferences runs Rules.Preferences on each case and compares every field.
func checkPreferences(t *testing.T, cases []prefCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Rules{}.Preferences(tc.text)
			comparePreferences(t, tc.text, got, tc.want)
		})
	}
}

func comparePreferences(t *testing.T, text string, got []memstore.PreferenceStatement, want []wantPref) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Preferences(%q) returned %d statements, want %d:\n%s", text, len(got), len(want), formatStatements(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Sentence != w.sentence {
			t.Errorf("Preferences(%q)[%d].Sentence = %q, want %q", text, i, g.Sentence, w.sentence)
		}
		if g.Object != w.object {
			t.Errorf("Preferences(%q)[%d].Object = %q, want %q", text, i, g.Object, w.object)
		}
		if g.Topic != w.topic {
			t.Errorf("Preferences(%q)[%d].Topic = %q, want %q", text, i, g.Topic, w.topic)
		}
		if g.Polarity != w.polarity {
			t.Errorf("Preferences(%q)[%d].Polarity = %q, want %q", text, i, g.Polarity, w.polarity)
		}
		if strings.TrimSpace(g.Clause) == "" {
			t.Errorf("Preferences(%q)[%d].Clause is empty", text, i)
		}
		if w.clause != "" && g.Clause != w.clause {
			t.Errorf("Preferences(%q)[%d].Clause = %q, want %q", text, i, g.Clause, w.clause)
		}
	}
}

func formatStatements(ps []memstore.PreferenceStatement) string {
	if len(ps) == 0 {
		return "  (none)\n"
	}
	var b strings.Builder
	for i, p := range ps {
		fmt.Fprintf(&b, "  [%d] sentence=%q object=%q topic=%q polarity=%q clause=%q\n",
			i, p.Sentence, p.Object, p.Topic, p.Polarity, p.Clause)
	}
	return b.String()
}

func TestPreferencesChinese(t *testing.T) {
	checkPreferences(t, []prefCase{
		{"like and dislike in one sentence", "我喜欢吃苹果,不喜欢香蕉。", []wantPref{
			{"用户喜欢吃苹果", "苹果", "fruit", memstore.Like, "我喜欢吃苹果"},
			{"用户不喜欢香蕉", "香蕉", "fruit", memstore.Dislike, "不喜欢香蕉"},
		}},
		{"full-width comma and leading 但是", "我喜欢吃苹果，但是不喜欢香蕉", []wantPref{
			{"用户喜欢吃苹果", "苹果", "fruit", memstore.Like, "我喜欢吃苹果"},
			{"用户不喜欢香蕉", "香蕉", "fruit", memstore.Dislike, "但是不喜欢香蕉"},
		}},
		{"correction with 的是", "错啦,实际上我喜欢的是山竹", []wantPref{
			{"用户喜欢山竹", "山竹", "fruit", memstore.Like, "实际上我喜欢的是山竹"},
		}},
		{"favorite with topic hint", "我最喜欢的水果是山竹", []wantPref{
			{"用户最喜欢的水果是山竹", "山竹", "favorite:fruit", memstore.Like, "我最喜欢的水果是山竹"},
		}},
		{"topic hint names the topic", "我喜欢的颜色是蓝色", []wantPref{
			{"用户喜欢的颜色是蓝色", "蓝色", "favorite:color", memstore.Like, "我喜欢的颜色是蓝色"},
		}},
		{"adverb then negation", "我也不喜欢榴莲", []wantPref{
			{"用户也不喜欢榴莲", "榴莲", "fruit", memstore.Dislike, "我也不喜欢榴莲"},
		}},
		{"softened negation with activity verb", "我不太爱吃辣", []wantPref{
			{"用户不太爱吃辣", "辣", "food", memstore.Dislike, "我不太爱吃辣"},
		}},
		{"dislike verb, unknown topic", "我讨厌下雨天", []wantPref{
			{"用户讨厌下雨天", "下雨天", "下雨天", memstore.Dislike, "我讨厌下雨天"},
		}},
		{"want", "我想要一只猫", []wantPref{
			{"用户想要一只猫", "一只猫", "pet", memstore.Want, "我想要一只猫"},
		}},
		{"negated want is dislike", "我不想要猫", []wantPref{
			{"用户不想要猫", "猫", "pet", memstore.Dislike, "我不想要猫"},
		}},
		{"不吃 is dislike", "我不吃香菜", []wantPref{
			{"用户不吃香菜", "香菜", "香菜", memstore.Dislike, "我不吃香菜"},
		}},
		{"we as subject", "我们都喜欢猫", []wantPref{
			{"用户都喜欢猫", "猫", "pet", memstore.Like, "我们都喜欢猫"},
		}},
		{"multi-character like verb", "我爱上了爵士乐", []wantPref{
			{"用户爱上了爵士乐", "爵士乐", "music", memstore.Like, "我爱上了爵士乐"},
		}},
		{"user then other person", "我喜欢猫,我妈喜欢狗", []wantPref{
			{"用户喜欢猫", "猫", "pet", memstore.Like, "我喜欢猫"},
		}},
		{"other person then user", "我妈喜欢狗,我喜欢猫", []wantPref{
			{"用户喜欢猫", "猫", "pet", memstore.Like, "我喜欢猫"},
		}},
		{"two sentences", "我喜欢猫。我讨厌狗。", []wantPref{
			{"用户喜欢猫", "猫", "pet", memstore.Like, "我喜欢猫"},
			{"用户讨厌狗", "狗", "pet", memstore.Dislike, "我讨厌狗"},
		}},
		{"question sentence is skipped, statement kept", "你喜欢什么?我喜欢茶。", []wantPref{
			{"用户喜欢茶", "茶", "drink", memstore.Like, "我喜欢茶"},
		}},

		// Not preferences.
		{"question with question mark", "我喜欢吃什么?", nil},
		{"question with full-width question mark", "我喜欢吃苹果吗？", nil},
		{"question to the assistant", "你喜欢什么", nil},
		{"question words without a mark", "我喜欢什么水果,不喜欢什么水果", nil},
		{"third person", "他喜欢苹果", nil},
		{"third person female", "她讨厌香蕉", nil},
		{"family member", "我妈喜欢苹果", nil},
		{"my pet", "我的猫喜欢鱼", nil},
		{"request to the assistant", "我希望你帮我订机票", nil},
		{"about the assistant", "我喜欢你", nil},
		{"no object", "我喜欢。", nil},
		{"no preference verb", "我今天吃了苹果", nil},
		{"empty", "", nil},
	})
}

func TestPreferencesEnglish(t *testing.T) {
	checkPreferences(t, []prefCase{
		{"like but dislike", "I really like apples but I don't like bananas.", []wantPref{
			{"The user really likes apples", "apples", "fruit", memstore.Like, "I really like apples"},
			{"The user does not like bananas", "bananas", "fruit", memstore.Dislike, "I don't like bananas"},
		}},
		{"leading actually", "Actually, I like mangosteen", []wantPref{
			{"The user likes mangosteen", "mangosteen", "fruit", memstore.Like, "I like mangosteen"},
		}},
		{"big fan", "I'm a big fan of jazz", []wantPref{
			{"The user is a big fan of jazz", "jazz", "music", memstore.Like, "I'm a big fan of jazz"},
		}},
		{"curly apostrophe", "I’m a big fan of jazz", []wantPref{
			{"The user is a big fan of jazz", "jazz", "music", memstore.Like, "I'm a big fan of jazz"},
		}},
		{"not a fan", "I am not a fan of jazz", []wantPref{
			{"The user is not a fan of jazz", "jazz", "music", memstore.Dislike, "I am not a fan of jazz"},
		}},
		{"rather X over Y keeps X", "I'd rather have tea over coffee", []wantPref{
			{"The user would rather have tea over coffee", "tea", "drink", memstore.Like, "I'd rather have tea over coffee"},
		}},
		{"object key drops verb and comparison", "I like to eat spicy food over sweets", []wantPref{
			{"The user likes to eat spicy food over sweets", "spicy food", "food", memstore.Like, "I like to eat spicy food over sweets"},
		}},
		{"favorite", "My favorite color is blue", []wantPref{
			{"The user's favorite color is blue", "blue", "favorite:color", memstore.Like, "My favorite color is blue"},
		}},
		{"emphatic do and my", "I do like my coffee black", []wantPref{
			{"The user likes their coffee black", "coffee black", "drink", memstore.Like, "I do like my coffee black"},
		}},
		{"can't stand", "I can't stand horror movies", []wantPref{
			{"The user can't stand horror movies", "horror movies", "film", memstore.Dislike, "I can't stand horror movies"},
		}},
		{"conjoined objects stay one", "I love hiking and swimming", []wantPref{
			{"The user loves hiking and swimming", "hiking and swimming", "sport", memstore.Like, "I love hiking and swimming"},
		}},
		{"comma and new subject splits", "I love hiking, and I hate running", []wantPref{
			{"The user loves hiking", "hiking", "sport", memstore.Like, "I love hiking"},
			{"The user hates running", "running", "sport", memstore.Dislike, "I hate running"},
		}},
		{"adverb before negation", "I really don't like tea", []wantPref{
			{"The user really does not like tea", "tea", "drink", memstore.Dislike, "I really don't like tea"},
		}},
		{"negated want is dislike", "I don't want tea", []wantPref{
			{"The user does not want tea", "tea", "drink", memstore.Dislike, "I don't want tea"},
		}},
		{"would like is want", "I'd like a coffee", []wantPref{
			{"The user would like a coffee", "coffee", "drink", memstore.Want, "I'd like a coffee"},
		}},
		{"trailing intensifier dropped", "I like tea a lot", []wantPref{
			{"The user likes tea", "tea", "drink", memstore.Like, "I like tea a lot"},
		}},
		{"we as subject", "We love tea", []wantPref{
			{"The user loves tea", "tea", "drink", memstore.Like, "We love tea"},
		}},
		{"two sentences", "I love tea. I hate coffee", []wantPref{
			{"The user loves tea", "tea", "drink", memstore.Like, "I love tea"},
			{"The user hates coffee", "coffee", "drink", memstore.Dislike, "I hate coffee"},
		}},

		// Not preferences.
		{"never eat is a habit", "I never eat meat", nil},
		{"question about the user", "Do you know what I like?", nil},
		{"question", "What do I like?", nil},
		{"question without a mark", "What do I like", nil},
		{"statement turned question", "I hate coffee?", nil},
		{"task", "I want to book a flight to Paris", nil},
		{"polite task", "I'd like to book a table", nil},
		{"request to the assistant", "I want you to remember this", nil},
		{"it as object", "I hate it when that happens", nil},
		{"about the assistant", "I like you", nil},
		{"third person", "She likes apples", nil},
		{"third person after user clause", "I like tea but my mom hates coffee", []wantPref{
			{"The user likes tea", "tea", "drink", memstore.Like, "I like tea"},
		}},
		{"no object", "I like", nil},
		{"empty", "", nil},
	})
}

// TestPreferencesNegationBeforeAdverb: adverbs may follow the negation ("do not really like");
// the sentence keeps them in the order said.
func TestPreferencesNegationBeforeAdverb(t *testing.T) {
	checkPreferences(t, []prefCase{
		{"don't really like", "I don't really like tea", []wantPref{
			{"The user does not really like tea", "tea", "drink", memstore.Dislike, "I don't really like tea"},
		}},
		{"do not really like", "I do not really like tea", []wantPref{
			{"The user does not really like tea", "tea", "drink", memstore.Dislike, "I do not really like tea"},
		}},
	})
}

// TestPreferencesChineseParticleIsNoObject: a sentence-final particle alone is not what a
// preference is about. trimSuffixes refuses to trim a suffix that is the whole object, so "的",
// "了" and "啊" survive as objects, and "吃 的" leaves a blank object with an empty topic (the
// documented contract says Topic is the category or else the object itself). The rules are meant
// to be conservative, and "I like" yields nothing in English, so these should yield nothing.
func TestPreferencesChineseParticleIsNoObject(t *testing.T) {
	for _, text := range []string{"我喜欢的", "我喜欢了", "我喜欢啊", "我喜欢吃 的"} {
		t.Run(text, func(t *testing.T) {
			for _, p := range (Rules{}).Preferences(text) {
				obj := strings.TrimSpace(p.Object)
				if obj == "" || strings.Contains("的了啦呀啊哦呢吧哈", obj) || strings.TrimSpace(p.Topic) == "" {
					t.Errorf("Preferences(%q) = object %q topic %q sentence %q; want no statement (the object is only a particle or blank)",
						text, p.Object, p.Topic, p.Sentence)
				}
			}
		})
	}
}

func TestIsCorrection(t *testing.T) {
	cases := []struct {
		text string
		want bool
	}{
		{"错啦,实际上我喜欢的是山竹", true},
		{"错了", true},
		{"不对,我喜欢的是梨", true},
		{"我记错了,我喜欢的是梨", true},
		{"其实我喜欢梨", true},
		{"wrong, actually I like mangosteen", true},
		{"Wrong! I like mangosteen", true},
		{"No, I meant tea", true},
		{"That's not right", true},
		{"That is not right", true},
		{"Correction: tea, not coffee", true},
		{"I no longer like tea", true},
		{"I don't drink coffee anymore", true},

		{"我喜欢山竹", false},
		{"我喜欢吃苹果,不喜欢香蕉。", false},
		{"I like mangosteen", false},
		{"I don't like bananas", false},
		{"What time is it?", false},
		{"I'm right", false},
		{"", false},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			if got := (Rules{}).IsCorrection(tc.text); got != tc.want {
				t.Errorf("IsCorrection(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

// TestIsCorrectionCurlyApostrophe: the marker list spells out "that's not" and "thats not", and
// Preferences normalises ’ to ', but IsCorrection splits "That’s" into "that" and "s", so the
// typographic apostrophe (what phones and macOS type) defeats the marker. Currently fails.
func TestIsCorrectionCurlyApostrophe(t *testing.T) {
	r := Rules{}
	for _, text := range []string{"That's not what I said", "That’s not what I said"} {
		if !r.IsCorrection(text) {
			t.Errorf("IsCorrection(%q) = false, want true", text)
		}
	}
}

// fuzzSeeds are the examples used across these tests.
var fuzzSeeds = []string{
	"我喜欢吃苹果,不喜欢香蕉。", "错啦,实际上我喜欢的是山竹", "我最喜欢的水果是山竹", "我也不喜欢榴莲", "我不太爱吃辣",
	"我讨厌下雨天", "我想要一只猫", "我喜欢吃什么?", "你喜欢什么", "我喜欢什么水果,不喜欢什么水果", "他喜欢苹果",
	"我妈喜欢苹果", "我希望你帮我订机票", "错了", "不对,我喜欢的是梨", "我喜欢山竹", "我喜欢的", "我喜欢吃 的",
	"I really like apples but I don't like bananas.", "Actually, I like mangosteen", "I'm a big fan of jazz",
	"I'd rather have tea over coffee", "My favorite color is blue", "I do like my coffee black", "I never eat meat",
	"I can't stand horror movies", "I love hiking and swimming", "Do you know what I like?", "What do I like?",
	"I want to book a flight to Paris", "I want you to remember this", "I hate it when that happens",
	"She likes apples", "wrong, actually I like mangosteen", "No, I meant tea", "That's not right",
	"I like mangosteen", "What time is it?", "I never like tea", "I like, tea", "My favorite food is",
	"", " ", ".", "?", "。", "\n", "ＡＰＰＬＥ", "don’t", "\xff\xfe", "我喜欢\xff", "I like \xc3\x28", "我 喜欢 苹果",
}

func FuzzPreferences(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	r := Rules{}
	e := Embedder{}
	f.Fuzz(func(t *testing.T, text string) {
		for i, p := range r.Preferences(text) {
			if p.Sentence == "" {
				t.Errorf("Preferences(%q)[%d].Sentence is empty: %+v", text, i, p)
			}
			if p.Object == "" {
				t.Errorf("Preferences(%q)[%d].Object is empty: %+v", text, i, p)
			}
			switch p.Polarity {
			case memstore.Like, memstore.Dislike, memstore.Want:
			default:
				t.Errorf("Preferences(%q)[%d].Polarity = %q, not like/dislike/want", text, i, p.Polarity)
			}
			if utf8.ValidString(text) && !utf8.ValidString(p.Sentence) {
				t.Errorf("Preferences(%q)[%d].Sentence %q is not valid UTF-8 though the input is", text, i, p.Sentence)
			}
		}
		_ = r.IsCorrection(text)

		v := e.Vector(text)
		if len(v) != Dim {
			t.Fatalf("Vector(%q) has %d dims, want %d", text, len(v), Dim)
		}
		var norm float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("Vector(%q) holds %v", text, x)
			}
			norm += float64(x) * float64(x)
		}
		if norm != 0 && math.Abs(math.Sqrt(norm)-1) > 1e-5 {
			t.Errorf("Vector(%q) has norm %v, want 0 or 1", text, math.Sqrt(norm))
		}
	})
}
