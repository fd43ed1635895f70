// Package builtin holds what memos-mcp needs to run with no model at all: a lexical embedder and
// rule-based preference extraction for Chinese and English.
package builtin

import (
	"context"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// Dim is the built-in embedder's vector length.
const Dim = 512

// EmbedderName identifies the built-in embedder in stores. Bump the version suffix whenever the
// features or hashing change, so stores built by the old scheme are refused rather than misread.
const EmbedderName = "builtin-lexical-v1"

// Embedder is a deterministic lexical embedder: signed feature hashing of word unigrams and bigrams
// (Latin and other space-separated scripts) and of character unigrams and bigrams (Chinese,
// Japanese, Korean), with sublinear term weights, L2-normalised. Texts that share words are close;
// synonyms are not. It needs no model and no network.
type Embedder struct{}

var _ memstore.Embedder = Embedder{}

// Identity implements memstore.Embedder.
func (Embedder) Identity() memstore.EmbedderIdentity {
	return memstore.EmbedderIdentity{Name: EmbedderName, Dim: Dim}
}

// Embed implements memstore.Embedder. It never fails; ctx is honoured between texts.
func (e Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = e.Vector(t)
	}
	return out, nil
}

// Vector embeds one text.
func (Embedder) Vector(text string) []float32 {
	counts := features(text)
	// Accumulate in a fixed order: float addition is not associative, and map order is random.
	keys := make([]feature, 0, len(counts))
	for f := range counts {
		keys = append(keys, f)
	}
	slices.SortFunc(keys, func(a, b feature) int { return strings.Compare(a.text, b.text) })
	acc := make([]float64, Dim)
	for _, f := range keys {
		h := fnv.New64a()
		h.Write([]byte(f.text))
		sum := h.Sum64()
		w := (1 + math.Log(float64(counts[f]))) * f.weight
		if sum>>63 == 1 {
			w = -w
		}
		acc[sum%Dim] += w
	}
	var norm float64
	for _, x := range acc {
		norm += x * x
	}
	v := make([]float32, Dim)
	if norm == 0 {
		return v
	}
	inv := 1 / math.Sqrt(norm)
	for i, x := range acc {
		v[i] = float32(x * inv)
	}
	return v
}

// feature is one hashed feature; weight folds in how informative its kind is.
type feature struct {
	text   string
	weight float64
}

// Weights of feature kinds. Stopwords carry little meaning, so they count for little.
const (
	weightWord     = 1.0
	weightBigram   = 1.0
	weightStopword = 0.25
)

// features counts a text's features.
func features(text string) map[feature]int {
	counts := make(map[feature]int)
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
		if stopwords[w] {
			weight = weightStopword
		}
		counts[feature{"w:" + w, weight}]++
		if prevWord != "" {
			bw := weightBigram
			if stopwords[w] && stopwords[prevWord] {
				bw = weightStopword
			}
			counts[feature{"b:" + prevWord + " " + w, bw}]++
		}
		prevWord = w
	}

	for _, r := range text {
		r = fold(r)
		switch {
		case isCJK(r):
			flushWord()
			prevWord = ""
			weight := weightWord
			if cjkStopchars[r] {
				weight = weightStopword
			}
			counts[feature{"c:" + string(r), weight}]++
			if prevRune >= 0 {
				counts[feature{"d:" + string([]rune{prevRune, r}), weightBigram}]++
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
	return counts
}

// fold lower-cases and maps full-width ASCII (common in Chinese text) to ASCII.
func fold(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFF01 - 0x21
	}
	return unicode.ToLower(r)
}

// isCJK reports whether r is written without spaces between words, so characters are the units.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

var stopwords = setOf("a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "is", "are",
	"was", "were", "be", "been", "it", "its", "this", "that", "with", "as", "by", "do", "does", "did",
	"so", "but", "if", "then", "than", "there", "these", "those", "am", "will", "would", "can", "could",
	"should", "just", "very", "also", "too", "about", "from", "into", "some", "any")

var cjkStopchars = map[rune]bool{'的': true, '了': true, '是': true, '吗': true, '呢': true, '吧': true,
	'啊': true, '呀': true, '嘛': true, '着': true, '过': true, '和': true, '也': true, '就': true, '都': true}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
