// Package lexical turns text into weighted lexical features: lower-cased word unigrams and bigrams
// for space-separated scripts, character unigrams and bigrams for Chinese, Japanese and Korean,
// with stopwords down-weighted. The built-in embedder hashes them into a dense vector; the embedded
// store indexes them for BM25. Both must see the same features, so they live here.
package lexical

import (
	"hash/fnv"
	"slices"
	"strings"
	"unicode"
)

// Feature is one distinct feature of a text.
type Feature struct {
	// Text identifies the feature: "w:apple" (word), "b:red apple" (word bigram), "c:苹" (character),
	// "d:苹果" (character bigram).
	Text string
	// Weight is how informative the feature's kind is (stopwords count for little).
	Weight float64
	// Count is how often it occurs in the text.
	Count int
}

// Hash is a feature's 64-bit FNV-1a hash.
func (f Feature) Hash() uint64 {
	h := fnv.New64a()
	h.Write([]byte(f.Text))
	return h.Sum64()
}

// Weights of feature kinds.
const (
	weightWord     = 1.0
	weightBigram   = 1.0
	weightStopword = 0.25
)

type key struct {
	text   string
	weight float64
}

// Features returns the distinct features of text, sorted by Text (a fixed order, so sums over
// them are reproducible).
func Features(text string) []Feature {
	counts := make(map[key]int)
	var prevWord string    // previous word in the current Latin run, for bigrams
	var prevRune rune = -1 // previous character in the current CJK run, for bigrams
	word := make([]rune, 0, 16)

	flushWord := func() {
		if len(word) == 0 {
			return
		}
		w := string(word)
		word = word[:0]
		weight := weightWord
		if Stopwords[w] {
			weight = weightStopword
		}
		counts[key{"w:" + w, weight}]++
		if prevWord != "" {
			bw := weightBigram
			if Stopwords[w] && Stopwords[prevWord] {
				bw = weightStopword
			}
			counts[key{"b:" + prevWord + " " + w, bw}]++
		}
		prevWord = w
	}

	for _, r := range text {
		r = fold(r)
		switch {
		case IsCJK(r):
			flushWord()
			prevWord = ""
			weight := weightWord
			if cjkStopchars[r] {
				weight = weightStopword
			}
			counts[key{"c:" + string(r), weight}]++
			if prevRune >= 0 {
				counts[key{"d:" + string([]rune{prevRune, r}), weightBigram}]++
			}
			prevRune = r
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’':
			prevRune = -1
			if r == '\'' || r == '’' {
				continue // "don't" and "dont" are the same word
			}
			word = append(word, r)
		case unicode.IsSpace(r):
			flushWord()
			prevRune = -1
		default:
			// Punctuation ends words and both kinds of runs: no bigram spans a sentence break.
			flushWord()
			prevWord = ""
			prevRune = -1
		}
	}
	flushWord()
	out := make([]Feature, 0, len(counts))
	for k, n := range counts {
		out = append(out, Feature{Text: k.text, Weight: k.weight, Count: n})
	}
	slices.SortFunc(out, func(a, b Feature) int { return strings.Compare(a.Text, b.Text) })
	return out
}

// fold lower-cases and maps full-width ASCII (common in Chinese text) to ASCII.
func fold(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFF01 - 0x21
	}
	return unicode.ToLower(r)
}

// IsCJK reports whether r is written without spaces between words, so characters are the units.
func IsCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// Stopwords are English words that carry little meaning on their own.
var Stopwords = SetOf("a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "is", "are",
	"was", "were", "be", "been", "it", "its", "this", "that", "with", "as", "by", "do", "does", "did",
	"so", "but", "if", "then", "than", "there", "these", "those", "am", "will", "would", "can", "could",
	"should", "just", "very", "also", "too", "about", "from", "into", "some", "any")

var cjkStopchars = map[rune]bool{'的': true, '了': true, '是': true, '吗': true, '呢': true, '吧': true,
	'啊': true, '呀': true, '嘛': true, '着': true, '过': true, '和': true, '也': true, '就': true, '都': true}

// SetOf returns a set of the words.
func SetOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
