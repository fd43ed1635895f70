package builtin

import (
	"slices"
	"strings"
	"unicode"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/lexical"
)

// Rules finds explicit preference statements in Chinese and English without a model. It is
// deliberately conservative: questions, requests addressed to the assistant and statements about
// other people are not preferences.
type Rules struct{}

var _ memstore.Rules = Rules{}

// favoritePrefix marks the topic of a favourite ("my favorite color is blue" → "favorite:color"):
// a newer favourite of the same kind replaces the older one. memstore uses the same prefix.
const favoritePrefix = "favorite:"

// maxPreferencesPerText bounds what one message can yield: a message listing dozens of "I like …"
// is more likely a document than a set of personal preferences.
const maxPreferencesPerText = 5

// Preferences implements memstore.Rules.
func (Rules) Preferences(text string) []memstore.PreferenceStatement {
	var out []memstore.PreferenceStatement
	for _, sentence := range splitSentences(text) {
		if hasCJK(sentence.text) {
			out = append(out, chinesePreferences(sentence)...)
		} else {
			out = append(out, englishPreferences(sentence)...)
		}
		if len(out) >= maxPreferencesPerText {
			return out[:maxPreferencesPerText]
		}
	}
	return out
}

// IsCorrection implements memstore.Rules.
func (Rules) IsCorrection(text string) bool {
	lower := strings.ToLower(strings.ReplaceAll(text, "’", "'"))
	for _, m := range correctionMarkersZH {
		if strings.Contains(text, m) {
			return true
		}
	}
	words := strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
	joined := " " + strings.Join(words, " ") + " "
	for _, m := range correctionMarkersEN {
		if strings.Contains(joined, " "+m+" ") {
			return true
		}
	}
	return false
}

var correctionMarkersZH = []string{"错了", "错啦", "不对", "不是的", "说错", "搞错", "记错", "弄错",
	"实际上", "其实", "更正", "纠正", "应该是", "并不是", "而是", "不是这样"}

var correctionMarkersEN = []string{"wrong", "not right", "incorrect", "actually", "in fact", "correction",
	"that's not", "that is not", "thats not", "mistake", "mistaken", "i meant", "not true", "no longer",
	"anymore", "instead"}

// sentence is a piece of text ending at a sentence break, with whether it asks something.
type sentence struct {
	text     string
	question bool
}

// splitSentences cuts text at sentence ends (。！？!?；; and newlines, and ". " in Latin text).
func splitSentences(text string) []sentence {
	var out []sentence
	var cur strings.Builder
	runes := []rune(text)
	flush := func(question bool) {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		if s != "" {
			out = append(out, sentence{text: s, question: question})
		}
	}
	for i, r := range runes {
		switch r {
		case '?', '？':
			flush(true)
		case '。', '！', '!', '；', ';', '\n':
			flush(false)
		case '.':
			// A period ends a sentence unless it sits inside a token like "3.5" or "node.js".
			if i+1 < len(runes) && !unicode.IsSpace(runes[i+1]) {
				cur.WriteRune(r)
				continue
			}
			flush(false)
		default:
			cur.WriteRune(r)
		}
	}
	flush(false)
	return out
}

func hasCJK(s string) bool {
	for _, r := range s {
		if lexical.IsCJK(r) {
			return true
		}
	}
	return false
}

// ---- Chinese ----

var (
	// Question words; bare 哪 and 几 are left out because they also occur in names and words
	// (哪吒, 几何, 茶几), and 吗/呢 count only at the end of a sentence.
	zhQuestionWords = []string{"什么", "哪里", "哪儿", "哪个", "哪些", "哪种", "谁", "怎么", "如何", "为什么", "多少",
		"几个", "几点", "几岁", "是否", "是不是", "有没有", "喜不喜欢", "爱不爱"}
	zhQuestionEnds = []string{"吗", "呢", "么"}
	zhLeading      = []string{"但是", "可是", "不过", "而且", "并且", "另外", "还有", "其实", "实际上", "事实上",
		"说实话", "老实说", "错啦", "错了", "不对", "但", "而", "且", "就是", "所以", "然后", "对了", "哦", "嗯", "啊"}
	// Time and frequency words that may precede the subject: "夏天我喜欢吃西瓜". Past-time words
	// (以前, 小时候) are left out on purpose: a past preference is not a current one.
	zhTimePrefixes = []string{"现在", "最近", "平时", "平常", "一般", "通常", "夏天", "冬天", "春天", "秋天", "周末",
		"早上", "晚上", "中午", "每天", "工作日", "在家"}
	zhSubjects = []string{"我们", "我"}
	zhAdverbs  = []string{"非常", "特别", "真的", "超级", "十分", "比较", "一直", "向来", "从小就", "确实", "其实",
		"实际上", "尤其", "现在", "最近", "已经", "平时", "也", "最", "很", "超", "还", "都", "更", "挺", "蛮", "就", "真", "好"}
	zhNegations = []string{"一点也不", "一点都不", "从来不", "不是很", "不是特别", "不怎么", "不太", "并不",
		"从不", "没那么", "不"}
	// Verbs ordered longest first so "爱吃" wins over "爱".
	zhLikeVerbs    = []string{"更喜欢", "最喜欢", "喜欢", "偏好", "偏爱", "喜爱", "钟爱", "热爱", "迷上了", "爱上了", "倾向于", "爱吃", "爱喝", "爱看", "爱听", "爱玩", "爱"}
	zhDislikeVerbs = []string{"讨厌", "厌恶", "反感", "受不了", "从来不吃", "从不吃", "从来不喝", "从不喝", "不吃", "不喝"}
	zhWantVerbs    = []string{"想要", "希望"}
	zhActivity     = []string{"吃", "喝", "听", "看", "玩", "用", "去", "穿", "读"}
	zhTrailing     = []string{"了", "啦", "呀", "啊", "哦", "呢", "吧", "的", "哈"}
)

func chinesePreferences(s sentence) []memstore.PreferenceStatement {
	if s.question || containsAny(s.text, zhQuestionWords) || hasAnySuffix(strings.TrimSpace(s.text), zhQuestionEnds) {
		return nil
	}
	var out []memstore.PreferenceStatement
	userSubject := false // whether the sentence's subject so far is the user
	for _, clause := range splitZHClauses(s.text) {
		c := strings.TrimSpace(clause)
		c = trimPrefixes(c, zhLeading)
		c = trimPrefixes(c, zhTimePrefixes)
		hasSubject := false
		if rest, ok := cutAnyPrefix(c, zhSubjects); ok {
			c, hasSubject, userSubject = rest, true, true
		} else if startsWithOtherSubject(c) {
			userSubject = false
			continue
		}
		if !hasSubject && !userSubject {
			continue
		}
		if p, ok := parseZHPredicate(c); ok {
			p.Clause = strings.TrimSpace(clause)
			out = append(out, p)
		}
	}
	return out
}

// splitZHClauses cuts at commas and enumeration marks.
func splitZHClauses(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '，' || r == ',' || r == '、' || r == '：' || r == ':' })
}

// startsWithOtherSubject reports whether a clause opens with someone other than the user.
func startsWithOtherSubject(c string) bool {
	for _, p := range []string{"你", "他", "她", "它", "我妈", "我爸", "我的", "我朋友", "我老婆", "我老公", "大家", "别人", "有人"} {
		if strings.HasPrefix(c, p) {
			return true
		}
	}
	return false
}

// parseZHPredicate reads "[adverbs][negation]verb object" after the subject.
func parseZHPredicate(c string) (memstore.PreferenceStatement, bool) {
	var adverbs strings.Builder
	for {
		rest, ok := cutAnyPrefix(c, zhAdverbs)
		if !ok {
			break
		}
		// "不" is not an adverb but "最" before "喜欢" is part of "最喜欢": keep both in the text.
		adverbs.WriteString(strings.TrimSuffix(c, rest))
		c = rest
	}
	polarity := memstore.Like
	var verb string
	if rest, ok := cutAnyPrefix(c, zhDislikeVerbs); ok {
		polarity, verb, c = memstore.Dislike, strings.TrimSuffix(c, rest), rest
	} else {
		neg := ""
		if rest, ok := cutAnyPrefix(c, zhNegations); ok {
			neg, c = strings.TrimSuffix(c, rest), rest
		}
		switch {
		case hasAnyPrefix(c, zhLikeVerbs):
			rest, _ := cutAnyPrefix(c, zhLikeVerbs)
			verb, c = neg+strings.TrimSuffix(c, rest), rest
			if neg != "" {
				polarity = memstore.Dislike
			}
		case hasAnyPrefix(c, zhWantVerbs):
			rest, _ := cutAnyPrefix(c, zhWantVerbs)
			verb, c = neg+strings.TrimSuffix(c, rest), rest
			polarity = memstore.Want
			if neg != "" {
				polarity = memstore.Dislike
			}
		default:
			return memstore.PreferenceStatement{}, false
		}
	}
	object := strings.TrimSpace(c)
	topicHint := ""
	// "我最喜欢的水果是山竹": the words between 的 and 是 name the topic.
	if rest, ok := strings.CutPrefix(object, "的"); ok {
		if before, after, found := strings.Cut(rest, "是"); found {
			topicHint, object = before, after
		}
	}
	object = strings.TrimPrefix(object, "是")
	object = strings.TrimSpace(trimSuffixes(strings.TrimSpace(object), zhTrailing))
	if object == "" || slices.Contains(zhTrailing, object) || slices.Contains(zhActivity, object) || !hasContent(object) || len([]rune(object)) > 20 || strings.ContainsAny(object, "你您") {
		return memstore.PreferenceStatement{}, false
	}
	key := object
	if rest, ok := cutAnyPrefix(key, zhActivity); ok && rest != "" {
		key = rest
	}
	topic := topicOf(key)
	if topicHint != "" {
		// "我最喜欢的水果是山竹": one favourite fruit, so the topic says it is a favourite.
		if t := topicOf(topicHint); topic == key || t != topicHint {
			topic = t
		}
		topic = favoritePrefix + topic
	}
	sentence := "用户" + adverbs.String() + verb + object
	if topicHint != "" {
		sentence = "用户" + adverbs.String() + verb + "的" + topicHint + "是" + object
	}
	return memstore.PreferenceStatement{
		Sentence: sentence,
		Object:   key,
		Topic:    topic,
		Polarity: polarity,
	}, true
}

// ---- English ----

var (
	enQuestionStarts = lexical.SetOf("what", "which", "who", "whom", "whose", "when", "where", "why", "how",
		"do", "does", "did", "is", "are", "can", "could", "would", "should", "will", "shall", "may")
	enAdverbs = lexical.SetOf("really", "also", "absolutely", "totally", "generally", "usually", "always", "definitely",
		"truly", "still", "actually", "mostly", "much", "quite", "personally", "just", "especially", "honestly",
		"kinda", "sorta", "do", "too", "very", "so", "genuinely", "strongly", "now", "somewhat")
	enNegations = lexical.SetOf("dont", "don't", "never", "didnt", "didn't")
	// Main verbs, by polarity. Multi-word forms are matched before single words.
	enPhrases = []struct {
		words    []string
		polarity memstore.Polarity
		third    string // third-person form used in the sentence
	}{
		{[]string{"can't", "stand"}, memstore.Dislike, "can't stand"},
		{[]string{"cant", "stand"}, memstore.Dislike, "can't stand"},
		{[]string{"cannot", "stand"}, memstore.Dislike, "cannot stand"},
		{[]string{"am", "not", "a", "fan", "of"}, memstore.Dislike, "is not a fan of"},
		{[]string{"am", "not", "into"}, memstore.Dislike, "is not into"},
		{[]string{"am", "a", "big", "fan", "of"}, memstore.Like, "is a big fan of"},
		{[]string{"am", "a", "huge", "fan", "of"}, memstore.Like, "is a huge fan of"},
		{[]string{"am", "a", "fan", "of"}, memstore.Like, "is a fan of"},
		{[]string{"am", "fond", "of"}, memstore.Like, "is fond of"},
		{[]string{"am", "into"}, memstore.Like, "is into"},
		{[]string{"would", "rather"}, memstore.Like, "would rather"},
		{[]string{"would", "prefer"}, memstore.Like, "would prefer"},
		{[]string{"would", "like"}, memstore.Want, "would like"},
		{[]string{"like"}, memstore.Like, "likes"},
		{[]string{"love"}, memstore.Like, "loves"},
		{[]string{"prefer"}, memstore.Like, "prefers"},
		{[]string{"enjoy"}, memstore.Like, "enjoys"},
		{[]string{"adore"}, memstore.Like, "adores"},
		{[]string{"favor"}, memstore.Like, "favors"},
		{[]string{"favour"}, memstore.Like, "favours"},
		{[]string{"hate"}, memstore.Dislike, "hates"},
		{[]string{"dislike"}, memstore.Dislike, "dislikes"},
		{[]string{"detest"}, memstore.Dislike, "detests"},
		{[]string{"despise"}, memstore.Dislike, "despises"},
		{[]string{"loathe"}, memstore.Dislike, "loathes"},
		{[]string{"avoid"}, memstore.Dislike, "avoids"},
		{[]string{"want"}, memstore.Want, "wants"},
		{[]string{"wish"}, memstore.Want, "wishes"},
	}
	// Objects that turn a "preference" into a one-off request or a question.
	enRequestObjects = [][]string{{"you"}, {"your"}, {"to", "know"}, {"to", "ask"}, {"to", "see"}, {"to", "learn"},
		{"to", "find"}, {"to", "check"}, {"to", "understand"}, {"help"}, {"it"}, {"that"}, {"this"}}
	enTrailing = [][]string{{"a", "lot"}, {"very", "much"}, {"so", "much"}, {"as", "well"}, {"the", "most"}, {"too"},
		{"more"}, {"best"}, {"though"}, {"anymore"}}
)

// enWord is a word of an English sentence, lower-cased, with its original spelling.
type enWord struct{ lower, orig string }

func englishPreferences(s sentence) []memstore.PreferenceStatement {
	words := splitENWords(s.text)
	if len(words) == 0 || s.question || enQuestionStarts[words[0].lower] {
		return nil
	}
	var out []memstore.PreferenceStatement
	userSubject := false
	for _, clause := range splitENClauses(words) {
		ws := clause
		for len(ws) > 0 && isConnector(ws[0].lower) {
			ws = ws[1:]
		}
		if len(ws) == 0 {
			continue
		}
		// "my favorite X is Y"
		if p, ok := parseFavorite(ws); ok {
			p.Clause = joinOrig(clause)
			out = append(out, p)
			userSubject = true
			continue
		}
		switch {
		case ws[0].lower == "i" || ws[0].lower == "we":
			ws, userSubject = ws[1:], true
		case ws[0].lower == "i'm" || ws[0].lower == "im":
			ws, userSubject = append([]enWord{{"am", "am"}}, ws[1:]...), true
		case ws[0].lower == "i'd" || ws[0].lower == "id":
			ws, userSubject = append([]enWord{{"would", "would"}}, ws[1:]...), true
		case !userSubject:
			continue
		}
		ws = expandContractions(ws)
		if p, ok := parseENPredicate(ws); ok {
			p.Clause = joinOrig(clause)
			out = append(out, p)
		}
	}
	return out
}

// splitENWords splits into words, keeping apostrophes inside words and commas as their own words.
func splitENWords(s string) []enWord {
	var out []enWord
	for _, f := range strings.Fields(s) {
		trailingComma := strings.HasSuffix(f, ",")
		f = strings.TrimFunc(f, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '+' && r != '#'
		})
		f = strings.ReplaceAll(f, "’", "'")
		if f != "" {
			out = append(out, enWord{strings.ToLower(f), f})
		}
		if trailingComma {
			out = append(out, enWord{",", ","})
		}
	}
	return out
}

// splitENClauses cuts at "but", and at commas or "and" that start a new subject or verb.
func splitENClauses(words []enWord) [][]enWord {
	var out [][]enWord
	start := 0
	for i, w := range words {
		cut := false
		switch w.lower {
		case "but", "while", "whereas", "although":
			cut = true
		case ",", "and":
			if i+1 < len(words) {
				next := words[i+1].lower
				cut = next == "i" || next == "i'm" || next == "i'd" || next == "but" || enNegations[next] || isVerbStart(next) ||
					(w.lower == "," && isConnector(next))
			}
		}
		if cut {
			if i > start {
				out = append(out, words[start:i])
			}
			start = i + 1
		}
	}
	if start < len(words) {
		out = append(out, words[start:])
	}
	return out
}

func isVerbStart(w string) bool {
	for _, p := range enPhrases {
		if p.words[0] == w && len(p.words) == 1 {
			return true
		}
	}
	return false
}

func isConnector(w string) bool {
	switch w {
	case ",", "and", "but", "so", "also", "actually", "well", "oh", "no", "yes", "yeah", "honestly", "though", "however", "wrong":
		return true
	}
	return false
}

// expandContractions rewrites don't/can't style words into the forms the phrase table uses.
func expandContractions(ws []enWord) []enWord {
	var out []enWord
	for _, w := range ws {
		switch w.lower {
		case "don't", "dont":
			out = append(out, enWord{"do", "do"}, enWord{"not", "not"})
		case "i'm", "im":
			out = append(out, enWord{"am", "am"})
		case "i'd":
			out = append(out, enWord{"would", "would"})
		default:
			out = append(out, w)
		}
	}
	return out
}

func parseENPredicate(ws []enWord) (memstore.PreferenceStatement, bool) {
	var adverbs []string // in the order said, the negation among them: "does not really like"
	skipAdverbs := func() {
		for len(ws) > 0 && enAdverbs[ws[0].lower] && !(ws[0].lower == "do" && len(ws) > 1 && ws[1].lower == "not") {
			if ws[0].lower != "do" { // emphatic "I do like" reads "the user likes"
				adverbs = append(adverbs, ws[0].lower)
			}
			ws = ws[1:]
		}
	}
	skipAdverbs()
	// Negation: "do not (really) like", "never like".
	negation := ""
	switch {
	case hasWordPrefix(ws, []string{"do", "not"}):
		negation, ws = "does not", ws[2:]
		adverbs = append(adverbs, negation)
	case hasWordPrefix(ws, []string{"never"}):
		negation, ws = "never", ws[1:]
		adverbs = append(adverbs, negation)
	}
	if negation != "" {
		skipAdverbs()
	}
	for _, p := range enPhrases {
		if !hasWordPrefix(ws, p.words) {
			continue
		}
		rest := ws[len(p.words):]
		for len(rest) > 0 && enAdverbs[rest[0].lower] && rest[0].lower != "do" {
			rest = rest[1:]
		}
		object := trimENObject(rest)
		if len(object) == 0 || len(object) > 8 || isRequestObject(object) || onlyStopwords(object) {
			return memstore.PreferenceStatement{}, false
		}
		// "I want to book a flight" is a task, not a preference.
		if p.polarity == memstore.Want && object[0].lower == "to" {
			return memstore.PreferenceStatement{}, false
		}
		polarity, verb := p.polarity, p.third
		if negation != "" {
			// Not disliking something is not a preference either way; not liking or wanting it is a dislike.
			if polarity == memstore.Dislike || len(p.words) > 1 {
				return memstore.PreferenceStatement{}, false
			}
			polarity = memstore.Dislike
			if negation == "does not" {
				verb = p.words[0]
			}
		}
		words := append(adverbs, verb)
		sentence := "The user " + strings.Join(words, " ") + " " + thirdPersonObject(object)
		key := objectKey(object)
		return memstore.PreferenceStatement{
			Sentence: sentence,
			Object:   key,
			Topic:    topicOf(key),
			Polarity: polarity,
		}, true
	}
	return memstore.PreferenceStatement{}, false
}

// onlyStopwords reports whether an object has no content word ("I like a").
func onlyStopwords(ws []enWord) bool {
	for _, w := range ws {
		if w.lower != "," && !lexical.Stopwords[w.lower] {
			return false
		}
	}
	return true
}

// parseFavorite reads "my favorite TOPIC is OBJECT".
func parseFavorite(ws []enWord) (memstore.PreferenceStatement, bool) {
	if len(ws) < 4 || ws[0].lower != "my" || (ws[1].lower != "favorite" && ws[1].lower != "favourite") {
		return memstore.PreferenceStatement{}, false
	}
	for i := 2; i < len(ws)-1; i++ {
		if ws[i].lower == "is" || ws[i].lower == "are" {
			topicWords, object := ws[2:i], trimENObject(ws[i+1:])
			if len(topicWords) == 0 || len(object) == 0 {
				return memstore.PreferenceStatement{}, false
			}
			topic := joinLower(topicWords)
			key := objectKey(object)
			if t := topicOf(key); t != key {
				topic = t
			} else if t := topicOf(topic); t != topic {
				topic = t
			}
			topic = favoritePrefix + topic // there is one favourite of a kind
			return memstore.PreferenceStatement{
				Sentence: "The user's favorite " + joinOrig(topicWords) + " " + ws[i].lower + " " + thirdPersonObject(object),
				Object:   key,
				Topic:    topic,
				Polarity: memstore.Like,
			}, true
		}
	}
	return memstore.PreferenceStatement{}, false
}

func trimENObject(ws []enWord) []enWord {
	for {
		trimmed := false
		for _, t := range enTrailing {
			if len(ws) > len(t) && hasWordPrefix(ws[len(ws)-len(t):], t) {
				ws, trimmed = ws[:len(ws)-len(t)], true
			}
		}
		if len(ws) > 0 && ws[len(ws)-1].lower == "," {
			ws, trimmed = ws[:len(ws)-1], true
		}
		if !trimmed {
			return ws
		}
	}
}

func isRequestObject(object []enWord) bool {
	for _, r := range enRequestObjects {
		if hasWordPrefix(object, r) {
			return true
		}
	}
	return false
}

// objectKey is the object without articles, a leading "to" or "eating"-style verbs, and comparisons:
// "to eat spicy food over sweets" → "spicy food".
func objectKey(object []enWord) string {
	ws := object
	for _, stop := range []string{"over", "than", "rather", "instead", "because", "since", "when", "if"} {
		for i, w := range ws {
			if i > 0 && w.lower == stop {
				ws = ws[:i]
				break
			}
		}
	}
	for len(ws) > 1 {
		switch ws[0].lower {
		case "to", "a", "an", "the", "my", "some", "eating", "drinking", "listening", "watching", "playing",
			"eat", "drink", "listen", "watch", "play", "reading", "read", "using", "use", "have", "having":
			ws = ws[1:]
			continue
		}
		break
	}
	return joinLower(ws)
}

// thirdPersonObject rewrites first-person words in the object: "my coffee" → "their coffee".
func thirdPersonObject(object []enWord) string {
	parts := make([]string, 0, len(object))
	for _, w := range object {
		switch w.lower {
		case ",":
			if len(parts) > 0 {
				parts[len(parts)-1] += ","
			}
		case "my":
			parts = append(parts, "their")
		case "me":
			parts = append(parts, "them")
		case "myself":
			parts = append(parts, "themselves")
		case "mine":
			parts = append(parts, "theirs")
		default:
			parts = append(parts, w.orig)
		}
	}
	return strings.Join(parts, " ")
}

func hasWordPrefix(ws []enWord, prefix []string) bool {
	if len(ws) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if ws[i].lower != p {
			return false
		}
	}
	return true
}

func joinOrig(ws []enWord) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		if w.lower == "," {
			continue
		}
		parts = append(parts, w.orig)
	}
	return strings.Join(parts, " ")
}

func joinLower(ws []enWord) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		if w.lower == "," {
			continue
		}
		parts = append(parts, w.lower)
	}
	return strings.Join(parts, " ")
}

// ---- shared helpers ----

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, suf := range suffixes {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// hasContent reports whether s has a letter or digit (an object of only particles or symbols is none).
func hasContent(s string) bool {
	for _, r := range s {
		if (unicode.IsLetter(r) || unicode.IsDigit(r)) && r != unicode.ReplacementChar {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	_, ok := cutAnyPrefix(s, prefixes)
	return ok
}

// cutAnyPrefix removes the first of prefixes that s starts with (list longer prefixes first).
func cutAnyPrefix(s string, prefixes []string) (string, bool) {
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest, true
		}
	}
	return s, false
}

func trimPrefixes(s string, prefixes []string) string {
	for {
		rest, ok := cutAnyPrefix(strings.TrimSpace(s), prefixes)
		if !ok {
			return strings.TrimSpace(s)
		}
		s = rest
	}
}

func trimSuffixes(s string, suffixes []string) string {
	for {
		trimmed := false
		for _, suf := range suffixes {
			if r, ok := strings.CutSuffix(s, suf); ok && r != "" {
				s, trimmed = r, true
			}
		}
		if !trimmed {
			return s
		}
	}
}
